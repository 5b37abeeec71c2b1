// The worker thread that computes experiment results (results-analyzer.ts sends it the metric sums). The statistics
// of a long experiment are CPU-bound for seconds (a Bayesian test per arm for every day of the daily series), which
// on the main thread would stall ingest and every other request for as long.
import { parentPort } from "node:worker_threads";
import { analyzeExperiment, type ResultsInput, type ResultsOptions } from "./results.js";

/** A request to the worker. */
export interface AnalyzeRequest {
	id: number;
	input: ResultsInput;
	options: ResultsOptions;
}

/** Its answer: the results, or the error's message. */
export type AnalyzeReply =
	{ id: number; ok: true; value: ReturnType<typeof analyzeExperiment> } | { id: number; ok: false; message: string };

const port = parentPort!;
port.on("message", (request: AnalyzeRequest) => {
	let reply: AnalyzeReply;
	try {
		reply = { id: request.id, ok: true, value: analyzeExperiment(request.input, request.options) };
	} catch (error) {
		reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
	}
	port.postMessage(reply);
});
