// Runs the SDK specs (test/sdk/**/*.spec.ts, compiled by `npm run build:specs`) with Jest Lua inside the harness.
// Prints each failure and a summary; exits non-zero on any failure. `--json FILE` writes the counts for run-all.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runJest } from "./harness/jest-runner.js";
import { ScriptedBackend } from "./harness/services/scripted-backend.js";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const jsonAt = args.indexOf("--json");
const pattern = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--json");

// The scripted backend: a local HTTP server that delivery specs script through the `HarnessBackend` global.
const backend = await ScriptedBackend.start();
const result = await runJest({
	projectPath: join(here, "sdk", "specs.project.json"),
	root: ["ReplicatedStorage", "Specs"],
	testPathPattern: pattern,
	plugins: [backend.plugin()],
	config: { secrets: { vantage_game_key: backend.gameKey } },
	// Delivery specs wait out backoffs, leases and outages in virtual time (a day of it takes seconds).
	maxVirtualSeconds: 86400,
}).finally(() => backend.close());
for (const line of result.output) {
	if (line.kind !== "print") console.log(`[${line.kind}] ${line.text}`);
}
for (const suite of result.suiteErrors) console.log(`✗ ${suite.file}: ${suite.message}`);
for (const t of result.tests.filter((x) => x.status === "failed")) {
	console.log(`✗ ${t.file} › ${t.fullName}\n${t.failureMessages.join("\n")}`);
}
const failed = result.numFailedTests + result.suiteErrors.length;
console.log(
	`SDK specs: ${result.numTotalTestSuites} files, ${result.numPassedTests} passed, ${failed} failed, ` +
		`${result.numPendingTests} skipped in ${(result.wallMs / 1000).toFixed(1)} s`,
);
if (jsonAt >= 0) {
	writeFileSync(
		args[jsonAt + 1],
		JSON.stringify({ passed: result.numPassedTests, failed, skipped: result.numPendingTests }),
	);
}
process.exitCode = failed > 0 || !result.success ? 1 : 0;
