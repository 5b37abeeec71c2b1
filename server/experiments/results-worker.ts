// The worker thread that computes experiment results (results-analyzer.ts sends it the units). The statistics of a
// long experiment are CPU-bound for seconds (tests on both effect scales per arm, guardrails, the daily series, a
// breakdown's cells), which on the main thread would stall ingest and every other request for as long.
import { parentPort } from "node:worker_threads";
import { analyzeBreakdown, type BreakdownInput, type BreakdownOptions } from "./breakdown.js";
import { analyzeExperiment, type ExperimentInput, type ResultsOptions } from "./results.js";
import type { BreakdownResults, ExperimentResults } from "./results-types.js";

/** A request to the worker: an experiment's results, or a breakdown. */
export type AnalyzeRequest =
	| { id: number; kind: "results"; input: ExperimentInput; options: ResultsOptions }
	| { id: number; kind: "breakdown"; input: BreakdownInput; options: BreakdownOptions };

/** Its answer: the document, or the error's message. */
export type AnalyzeReply =
	{ id: number; ok: true; value: ExperimentResults | BreakdownResults } | { id: number; ok: false; message: string };

const port = parentPort!;
port.on("message", (request: AnalyzeRequest) => {
	let reply: AnalyzeReply;
	try {
		const value =
			request.kind === "results"
				? analyzeExperiment(request.input, request.options)
				: analyzeBreakdown(request.input, request.options);
		reply = { id: request.id, ok: true, value };
	} catch (error) {
		reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
	}
	port.postMessage(reply);
});
