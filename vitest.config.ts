import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		// Only the backend for now; the SDK specs run inside the Luau harness with their own runner.
		include: ["server/**/*.test.ts"],
		environment: "node",
	},
});
