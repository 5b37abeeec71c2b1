// The shutdown (BindToClose): keep sending while the backend answers and time allows, then park whatever is left in
// DataStore for another server, within Roblox's 30 seconds.
import { Lifecycle } from "./contracts";
import { DeliveryQueue } from "./queue";
import { DeliveryReport } from "./report";
import { BatchSender } from "./sender";
import { SpillDrain } from "./spill-drain";

/** BindToClose allows 30 s; Vantage keeps a margin for the other callbacks' last moments. */
const SHUTDOWN_SECONDS = 27;
/** Of those, the time kept for writing to DataStore whatever could not be sent. */
const SHUTDOWN_SPILL_SECONDS = 12;

/** The pipeline's parts a shutdown drives. */
export interface ShutdownParts {
	life: Lifecycle;
	queue: DeliveryQueue;
	sender: BatchSender;
	spill: SpillDrain;
	report: DeliveryReport;
	/** Whether the worker thread is running. */
	workerRunning: () => boolean;
	/** Wakes the worker (it seals and sends at once). */
	wake: () => void;
	/** Runs once the pipeline is closed: later records are dropped from then on, flush() callers resume. */
	onClosed: () => void;
}

/**
 * Seals everything, keeps sending while the backend answers and time allows, then writes what is left to DataStore
 * for another server to send. Yields; finishes within SHUTDOWN_SECONDS. A second call waits for the first.
 */
export function shutDown(parts: ShutdownParts): void {
	const { life, queue, sender, spill } = parts;
	if (life.closing) {
		while (!life.closed) task.wait(0.1);
		return;
	}
	life.closing = true;
	const deadline = os.clock() + SHUTDOWN_SECONDS;
	// Let whatever ends sessions at shutdown (PlayerRemoving, other BindToClose functions) queue its events first.
	task.wait();
	queue.sealRequested = true;
	parts.wake();
	// 1. While the backend answers, keep sending; leave time for the spill.
	while (
		!sender.cannotSend &&
		sender.failures === 0 &&
		parts.workerRunning() &&
		queue.unsealed() + queue.ready.size() > 0 &&
		os.clock() < deadline - SHUTDOWN_SPILL_SECONDS
	) {
		parts.wake();
		task.wait(0.1);
	}
	// 2. Stop the worker (a request in flight finishes on its own) and park the rest in DataStore.
	life.stopped = true;
	parts.wake();
	while (queue.sealing > 0) task.wait();
	queue.sealPending();
	// A chunk being drained is not finished: it stays in DataStore for another server.
	spill.releaseDraining();
	// A dry run settles what is left locally, as it settled everything before.
	if (sender.dryRun) while (queue.ready.size() > 0) sender.send(queue.ready[0], queue.ready);
	if (queue.ready.size() > 0 && spill.canSpill()) spill.spillBatches(queue.ready, deadline);
	// 3. What could be neither sent nor parked is given up, counted.
	if (queue.ready.size() > 0) {
		const reason = spill.canSpill()
			? "neither sent nor saved to DataStore before shutdown"
			: "not sent before shutdown (Studio keeps unsent events in memory only)";
		parts.report.drop(queue.clearReady(), reason);
	}
	life.closed = true;
	parts.onClosed();
}
