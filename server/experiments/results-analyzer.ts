import { Worker } from "node:worker_threads";
import type { BreakdownInput, BreakdownOptions } from "./breakdown.js";
import type { ExperimentInput, ResultsOptions } from "./results.js";
import type { BreakdownResults, ExperimentResults } from "./results-types.js";
import type { AnalyzeReply, AnalyzeRequest } from "./results-worker.js";

/**
 * Experiment results computed off the event loop, in one worker thread started on first use (results-worker.ts).
 * Calls queue in the worker, so two heavy results pages take turns there instead of stalling ingest here. The worker
 * never keeps the process alive on its own; a crashed one is replaced on the next call.
 *
 * @example
 * const results = await analyzer.analyze(input, { correction: "holm" });
 * const cells = await analyzer.breakdown({ ...input, dimension: "platform" });
 */
export class ResultsAnalyzer {
	#worker: Worker | undefined;
	readonly #pending = new Map<
		number,
		{ resolve: (value: ExperimentResults | BreakdownResults) => void; reject: (error: Error) => void }
	>();
	#next = 0;

	/** One metric's results document (with guardrails and the decision for the primary metric). */
	analyze(input: ExperimentInput, options: ResultsOptions = {}): Promise<ExperimentResults> {
		return this.#send({ kind: "results", input, options }) as Promise<ExperimentResults>;
	}

	/** A metric's results broken down by a dimension. */
	breakdown(input: BreakdownInput, options: BreakdownOptions = {}): Promise<BreakdownResults> {
		return this.#send({ kind: "breakdown", input, options }) as Promise<BreakdownResults>;
	}

	#send(task: DistributiveOmit<AnalyzeRequest, "id">): Promise<ExperimentResults | BreakdownResults> {
		const worker = (this.#worker ??= this.#start());
		const id = this.#next++;
		return new Promise((resolve, reject) => {
			this.#pending.set(id, { resolve, reject });
			worker.ref();
			const request = { id, ...task } as AnalyzeRequest;
			worker.postMessage(request);
		});
	}

	/** Stops the worker; calls still waiting are refused. */
	async close(): Promise<void> {
		const worker = this.#worker;
		this.#worker = undefined;
		await worker?.terminate();
		this.#failAll(new Error("the results analyzer is closed"));
	}

	#start(): Worker {
		// The warehouse's boot file registers the TypeScript loader in the thread, then loads `entry`.
		const worker = new Worker(new URL("../store/sqlite/warehouse-worker-boot.mjs", import.meta.url), {
			workerData: { entry: new URL("./results-worker.ts", import.meta.url).href },
		});
		worker.on("message", (reply: AnalyzeReply) => {
			const waiter = this.#pending.get(reply.id);
			if (!waiter) return;
			this.#pending.delete(reply.id);
			if (this.#pending.size === 0) worker.unref();
			if (reply.ok) waiter.resolve(reply.value);
			else waiter.reject(new Error(reply.message));
		});
		worker.on("error", (error) => {
			if (this.#worker === worker) this.#worker = undefined;
			this.#failAll(error);
		});
		worker.unref();
		return worker;
	}

	#failAll(error: Error): void {
		for (const waiter of this.#pending.values()) waiter.reject(error);
		this.#pending.clear();
	}
}

/** The process's analyzer (the experiments routes use it unless given another). */
export const sharedResultsAnalyzer = new ResultsAnalyzer();

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
