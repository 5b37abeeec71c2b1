// `npm run bench -- <name> [options]`: runs one benchmark by name. Each prints medians over several rounds.
const BENCHMARKS: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
	dashboard: () => import("./dashboard.js"),
	ingest: () => import("./ingest.js"),
	metrics: () => import("./metrics.js"),
	predict: () => import("./predict.js"),
	scale: () => import("./scale.js"),
	sim: () => import("./sim.js"),
	sdk: () => import("./sdk.js"),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? BENCHMARKS[name] : undefined;
if (!load) {
	console.error(`Usage: npm run bench -- <${Object.keys(BENCHMARKS).join("|")}> [options]`);
	process.exitCode = 2;
} else {
	await (await load()).run(args);
}
