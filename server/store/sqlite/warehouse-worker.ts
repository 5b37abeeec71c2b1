// The warehouse worker thread: its own connection to the database file, the rollup job on a timer, and the metric
// queries, so neither folding nor a heavy read ever runs on the event loop that serves ingest.
import BetterSqlite3 from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import { MetricRequestError } from "../../domain/metrics.js";
import type { WarehouseCall, WarehouseReply } from "../../domain/warehouse.js";
import { configureConnection } from "./sqlite-store.js";
import { WarehouseHandler } from "./warehouse-handler.js";
import { WorkerWriteLock } from "./write-lock.js";

export interface WarehouseWorkerData {
	path: string;
	busyTimeoutMs: number;
	/** Pause between job runs while there is nothing to fold. */
	intervalMs: number;
	/** Whether the job runs on its own (false: only on catchUp calls). */
	autoFold: boolean;
	/** The write lock shared with the store's ingest (see write-lock.ts). */
	lock: SharedArrayBuffer;
}

const data = workerData as WarehouseWorkerData;
const db = new BetterSqlite3(data.path);
configureConnection(db, data.busyTimeoutMs);
const handler = new WarehouseHandler(db, new WorkerWriteLock(data.lock), true);
const port = parentPort!;

port.on("message", async (message: { id: number; call: WarehouseCall }) => {
	let reply: WarehouseReply;
	try {
		// Metric answers are Promises (the metrics engine awaits its reader); the rest are plain values.
		reply = { id: message.id, ok: true, value: await handler.handle(message.call) };
	} catch (error) {
		reply = {
			id: message.id,
			ok: false,
			error: {
				message: error instanceof Error ? error.message : String(error),
				request: error instanceof MetricRequestError,
			},
		};
	}
	port.postMessage(reply);
});

// The job: fold in short slices, yielding to queued calls in between; sleep while idle.
let timer: NodeJS.Timeout | undefined;
function schedule(delay: number): void {
	timer = setTimeout(() => {
		let more = false;
		try {
			more = handler.tick(Date.now());
		} catch (error) {
			port.postMessage({ id: -1, ok: false, error: { message: `warehouse job: ${String(error)}`, request: false } });
		}
		schedule(more ? 0 : data.intervalMs);
	}, delay);
}
if (data.autoFold) schedule(0);

port.on("close", () => {
	clearTimeout(timer);
	db.close();
});
