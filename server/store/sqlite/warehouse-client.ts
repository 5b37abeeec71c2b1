// The two ways a SQLite store runs its warehouse: a worker thread with its own connection (database files), or on
// the store's own connection (":memory:", which another connection cannot open).
import type BetterSqlite3 from "better-sqlite3";
import { Worker } from "node:worker_threads";
import { MetricRequestError, type MetricEnvelope, type MetricRequest } from "../../metrics/engine.js";
import type { DayRange, EventNameRow } from "../../metrics/reader.js";
import type {
	FoldResult,
	WarehouseCall,
	WarehouseReply,
	WarehouseService,
	WarehouseStatus,
} from "../../warehouse/service.js";
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

/** The warehouse in a worker thread with its own connection to `path`. */
export class WorkerWarehouse extends Calls {
	readonly #worker: Worker;
	readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
	#next = 0;
	#closed: Promise<void> | undefined;
	#failure: Error | undefined;

	constructor(data: WarehouseWorkerData, onError: (error: Error) => void) {
		super();
		const entry = new URL("./warehouse-worker.ts", import.meta.url).href;
		this.#worker = new Worker(new URL("./warehouse-worker-boot.mjs", import.meta.url), {
			workerData: { ...data, entry },
		});
		this.#worker.on("message", (reply: WarehouseReply) => {
			if (reply.id === -1 && !reply.ok) return onError(new Error(reply.error.message));
			const waiter = this.#pending.get(reply.id);
			if (!waiter) return;
			this.#pending.delete(reply.id);
			if (this.#pending.size === 0) this.#worker.unref();
			if (reply.ok) waiter.resolve(reply.value);
			else
				waiter.reject(
					reply.error.request ? new MetricRequestError(reply.error.message) : new Error(reply.error.message),
				);
		});
		this.#worker.on("error", (error) => {
			this.#failure = error;
			onError(error);
			for (const waiter of this.#pending.values()) waiter.reject(error);
			this.#pending.clear();
		});
		// The job alone never keeps the process alive; a call waiting for its answer does.
		this.#worker.unref();
	}

	protected call(call: WarehouseCall): Promise<unknown> {
		if (this.#closed) return Promise.reject(new Error("the warehouse is closed"));
		if (this.#failure) return Promise.reject(this.#failure);
		const id = this.#next++;
		return new Promise((resolve, reject) => {
			this.#pending.set(id, { resolve, reject });
			this.#worker.ref();
			this.#worker.postMessage({ id, call });
		});
	}

	close(): Promise<void> {
		this.#closed ??= (async () => {
			await this.#worker.terminate();
			for (const waiter of this.#pending.values()) waiter.reject(new Error("the warehouse is closed"));
			this.#pending.clear();
		})();
		return this.#closed;
	}
}
