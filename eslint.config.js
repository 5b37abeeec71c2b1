// ESLint: eslint-plugin-roblox-ts for the SDK (src/, test/sdk), typescript-eslint for the backend and Node tooling;
// Prettier owns formatting (eslint-config-prettier turns off the rules it covers).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import robloxTs from "eslint-plugin-roblox-ts";
import tseslint from "typescript-eslint";

export default tseslint.config(
	{
		ignores: [
			"node_modules/",
			"out/",
			"include/",
			"data/",
			".tmp/",
			"test/.build/",
			"test/harness/.luau-web/",
			"dashboard/dist/",
			"dist/",
			"example/roblox-ts/out/",
			"example/roblox-ts/include/",
			"example/flamework/out/",
			"example/flamework/include/",
			"**/*.d.ts",
		],
	},
	{
		files: ["src/**/*.ts", "test/sdk/**/*.ts"],
		extends: [...tseslint.configs.recommended],
		languageOptions: {
			parserOptions: { project: ["./tsconfig.spec.json"], tsconfigRootDir: import.meta.dirname },
		},
		plugins: { "roblox-ts": robloxTs },
		rules: {
			...robloxTs.configs.recommended.rules,
			"@typescript-eslint/no-namespace": "off",
			"@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
		},
	},
	{
		// The Flamework adapter is outside the SDK's own configs (it is compiled with Flamework's transformer).
		files: ["src/flamework/**/*.ts"],
		languageOptions: {
			parserOptions: { project: ["./tsconfig.flamework.json"], tsconfigRootDir: import.meta.dirname },
		},
	},
	{
		files: [
			"server/**/*.ts",
			"test/**/*.ts",
			"bench/**/*.ts",
			"example/**/*.ts",
			"packaging/**/*.ts",
			"*.ts",
			"**/*.mjs",
			"*.js",
		],
		ignores: ["test/sdk/**"],
		extends: [js.configs.recommended, ...tseslint.configs.recommended],
		languageOptions: {
			globals: {
				process: "readonly",
				console: "readonly",
				Buffer: "readonly",
				URL: "readonly",
				fetch: "readonly",
				setTimeout: "readonly",
				clearTimeout: "readonly",
				WebAssembly: "readonly",
				TextEncoder: "readonly",
				TextDecoder: "readonly",
				Response: "readonly",
				Request: "readonly",
				AbortSignal: "readonly",
				AbortController: "readonly",
				Headers: "readonly",
				setInterval: "readonly",
				clearInterval: "readonly",
				performance: "readonly",
				queueMicrotask: "readonly",
				structuredClone: "readonly",
			},
		},
		rules: {
			"@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
		},
	},
	{
		// The dashboard's browser code (Preact + uPlot): tsc (dashboard/tsconfig.json, DOM types) checks names, so
		// ESLint's no-undef, which knows no browser globals, stays off here as typescript-eslint advises.
		files: ["dashboard/src/**/*.ts", "dashboard/src/**/*.tsx"],
		extends: [js.configs.recommended, ...tseslint.configs.recommended],
		rules: {
			"no-undef": "off",
			"@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
		},
	},
	prettier,
);
