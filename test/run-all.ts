// The one test command (`npm test`): builds the SDK and its specs, then runs every suite — the Node suites under
// vitest (backend, harness, end-to-end) and the SDK specs under Jest Lua in the harness — and ends with one line
// `N passed, N failed` summing them all. Exits non-zero on any failure.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tmp = join(root, ".tmp", "test-results");
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

interface Counts {
	passed: number;
	failed: number;
	skipped: number;
}
const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
const started = Date.now();

function run(label: string, command: string, args: string[]): boolean {
	console.log(`\n▶ ${label}: ${command} ${args.join(" ")}`);
	const t0 = Date.now();
	const r = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
	console.log(`◀ ${label}: exit ${r.status} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	return r.status === 0;
}

function step(label: string, command: string, args: string[]): void {
	// A build step counts as one test: a broken build must fail the run even if nothing else can run.
	if (run(label, command, args)) totals.passed += 1;
	else totals.failed += 1;
}

const npx = "npx";
const npm = "npm";
step("build SDK and type-check the backend", npm, ["run", "build"]);
step("build SDK specs", npm, ["run", "build:specs"]);
step("type-check tests and tools", npx, ["tsc", "-p", "test/tsconfig.json"]);

const vitestJson = join(tmp, "vitest.json");
const vitestOk = run("backend, harness and end-to-end (vitest)", npx, [
	"vitest",
	"run",
	"--reporter=default",
	"--reporter=json",
	`--outputFile.json=${vitestJson}`,
]);
try {
	const v = JSON.parse(readFileSync(vitestJson, "utf8")) as {
		numPassedTests: number;
		numFailedTests: number;
		numPendingTests: number;
		numTodoTests: number;
		numFailedTestSuites: number;
		testResults: { status: string; assertionResults: unknown[] }[];
	};
	// A test file that fails to load has no assertion results: count it as a failure.
	const brokenFiles = v.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
	totals.passed += v.numPassedTests;
	totals.failed += v.numFailedTests + brokenFiles;
	totals.skipped += v.numPendingTests + v.numTodoTests;
	if (!vitestOk && v.numFailedTests + brokenFiles === 0) totals.failed += 1;
} catch {
	totals.failed += 1;
}

const specsJson = join(tmp, "sdk-specs.json");
const specsOk = run("SDK specs (Jest Lua in the harness)", npx, ["tsx", "test/run-sdk-specs.ts", "--json", specsJson]);
try {
	const s = JSON.parse(readFileSync(specsJson, "utf8")) as Counts;
	totals.passed += s.passed;
	totals.failed += s.failed;
	totals.skipped += s.skipped;
	if (!specsOk && s.failed === 0) totals.failed += 1;
} catch {
	totals.failed += 1;
}

console.log(`\nAll suites in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
process.exitCode = totals.failed > 0 ? 1 : 0;
