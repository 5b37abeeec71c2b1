import { defineConfig } from "vitest/config";

// Node-side suites: the backend (server/), the dashboard's pure browser modules (dashboard/src) and the harness's own
// tests (test/harness). The SDK specs run inside the Luau harness under Jest Lua (test/run-sdk-specs.ts); end-to-end
// suites (the SDK against the backend, the dashboard in Chromium) live in test/e2e.
export default defineConfig({
	test: {
		include: [
			"server/**/*.test.ts",
			"dashboard/**/*.test.ts",
			"test/harness/**/*.test.ts",
			"test/e2e/**/*.test.ts",
			"example/**/*.test.ts",
			"test/docs/**/*.test.ts",
		],
		environment: "node",
		// Two workers on this 2-core machine kind (vitest's default is cores − 1 = one file at a time): most of the
		// end-to-end and scale suites' time is waiting on servers, browsers and databases, not CPU. Test files share a
		// worker's module cache (isolate: false): the backend's module graph is loaded once per worker instead of once
		// per file. Every suite makes its own servers, stores and databases, so no state leaks through modules.
		maxWorkers: 2,
		isolate: false,
		testTimeout: 30_000,
		hookTimeout: 60_000,
		// PostgreSQL, two ClickHouse shards and Redis, started once per run for the scale-path tests
		// (server/testing/shared-services.ts).
		globalSetup: ["./test/global-services.ts"],
	},
});
