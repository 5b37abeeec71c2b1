// The two ways a SQLite store runs its warehouse: a worker thread with its own connection (database files), or on
// the store's own connection (":memory:", which another connection cannot open).
import type BetterSqlite3 from "better-sqlite3";
import { Worker } from "node:worker_threads";
import { MetricRequestError, type MetricEnvelope, type MetricRequest } from "../../domain/metrics.js";
import type { DayRange, EventNameRow } from "../../domain/metrics-reader.js";
import type {
	FoldResult,
	WarehouseCall,
	WarehouseReply,
	WarehouseService,
	WarehouseStatus,
} from "../../domain/warehouse.js";
import type { ExperimentUnits, ExperimentUnitsQuery } from "../../domain/experiments.js";
import type { ExperimentMetricQuery, ExperimentMetricRow } from "../types.js";
import { WarehouseHandler } from "./warehouse-handler.js";
import type { WarehouseWorkerData } from "./warehouse-worker.js";

abstract class Calls implements WarehouseService {
	protected abstract call(call: WarehouseCall): Promise<unknown>;

	metric(gameId: string, request: MetricRequest, now: number): Promise<MetricEnvelope> {
		return this.call({ op: "metric", gameId, request, now }) as Promise<MetricEnvelope>;
	}
	experimentMetricSums(query: ExperimentMetricQuery): Promise<ExperimentMetricRow[]> {
		return this.call({ op: "experimentMetricSums", query }) as Promise<ExperimentMetricRow[]>;
	}
	experimentUnits(query: ExperimentUnitsQuery): Promise<ExperimentUnits> {
		return this.call({ op: "experimentUnits", query }) as Promise<ExperimentUnits>;
	}
	eventNames(gameId: string, range: DayRange | null): Promise<EventNameRow[]> {
		return this.call({ op: "eventNames", gameId, range }) as Promise<EventNameRow[]>;
	}
	catchUp(): Promise<FoldResult> {
		return this.call({ op: "catchUp" }) as Promise<FoldResult>;
	}
	async rebuild(gameId: string): Promise<void> {
		await this.call({ op: "rebuild", gameId });
	}
	purge(now: number): Promise<{ gameId: string; deleted: number }[]> {
		return this.call({ op: "purge", now }) as Promise<{ gameId: string; deleted: number }[]>;
	}
	status(): Promise<WarehouseStatus> {
		return this.call({ op: "status" }) as Promise<WarehouseStatus>;
	}
	abstract close(): Promise<void>;
}

/** The warehouse on the caller's connection; the job runs on a timer between requests. */
export class InProcessWarehouse extends Calls {
	readonly #handler: WarehouseHandler;
	readonly #timer: NodeJS.Timeout | undefined;

	constructor(db: BetterSqlite3.Database, options: { autoFold: boolean; intervalMs: number }) {
		super();
		this.#handler = new WarehouseHandler(db);
		if (options.autoFold) {
			this.#timer = setInterval(() => this.#handler.tick(Date.now()), options.intervalMs);
			this.#timer.unref();
		}
	}

	protected async call(call: WarehouseCall): Promise<unknown> {
		return this.#handler.handle(call);
	}

	async close(): Promise<void> {
		clearInterval(this.#timer);
	}
}

/** One worker thread with its own connection, and the calls waiting for its answers. */
class WorkerPort {
	readonly worker: Worker;
	readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
	#next = 0;
	failure: Error | undefined;

	constructor(data: WarehouseWorkerData, onError: (error: Error) => void) {
		const entry = new URL("./warehouse-worker.ts", import.meta.url).href;
		this.worker = new Worker(new URL("./warehouse-worker-boot.mjs", import.meta.url), {
			workerData: { ...data, entry },
		});
		this.worker.on("message", (reply: WarehouseReply) => {
			if (reply.id === -1 && !reply.ok) return onError(new Error(reply.error.message));
			const waiter = this.pending.get(reply.id);
			if (!waiter) return;
			this.pending.delete(reply.id);
			if (this.pending.size === 0) this.worker.unref();
			if (reply.ok) waiter.resolve(reply.value);
			else
				waiter.reject(
					reply.error.request ? new MetricRequestError(reply.error.message) : new Error(reply.error.message),
				);
		});
		this.worker.on("error", (error) => {
			this.failure = error;
			onError(error);
			for (const waiter of this.pending.values()) waiter.reject(error);
			this.pending.clear();
		});
		// The job alone never keeps the process alive; a call waiting for its answer does.
		this.worker.unref();
	}

	call(call: WarehouseCall): Promise<unknown> {
		if (this.failure) return Promise.reject(this.failure);
		const id = this.#next++;
		return new Promise((resolve, reject) => {
			this.pending.set(id, { resolve, reject });
			this.worker.ref();
			this.worker.postMessage({ id, call });
		});
	}

	async close(): Promise<void> {
		await this.worker.terminate();
		for (const waiter of this.pending.values()) waiter.reject(new Error("the warehouse is closed"));
		this.pending.clear();
	}
}

/** Calls that only read: a second worker may answer them. */
const READS = new Set<WarehouseCall["op"]>(["metric", "experimentMetricSums", "experimentUnits", "eventNames"]);

/**
 * The warehouse in worker threads with their own connections to `path`: one runs the job (folding, purges, rebuilds,
 * checkpoints) and answers every call; a second one only answers reads (metrics, experiment sums, event names), so
 * a dashboard page's several queries run side by side and none waits behind a fold slice. WAL lets both read while
 * ingest writes.
 */
export class WorkerWarehouse extends Calls {
	readonly #main: WorkerPort;
	readonly #reader: WorkerPort;
	#closed: Promise<void> | undefined;

	constructor(data: WarehouseWorkerData, onError: (error: Error) => void) {
		super();
		this.#main = new WorkerPort(data, onError);
		this.#reader = new WorkerPort({ ...data, autoFold: false }, onError);
	}

	protected call(call: WarehouseCall): Promise<unknown> {
		if (this.#closed) return Promise.reject(new Error("the warehouse is closed"));
		// A read goes to the reader unless it is busier than the job's worker (whose fold slices it would wait behind).
		const port =
			READS.has(call.op) && !this.#reader.failure && this.#reader.pending.size <= this.#main.pending.size
				? this.#reader
				: this.#main;
		return port.call(call);
	}

	close(): Promise<void> {
		this.#closed ??= Promise.all([this.#main.close(), this.#reader.close()]).then(() => undefined);
		return this.#closed;
	}
}
