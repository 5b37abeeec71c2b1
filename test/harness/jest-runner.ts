// Runs Jest Lua (the @rbxts-js Lua sources) inside the harness VM over compiled SDK specs.
//
// One VM per run: luau-web's heap is enlarged by the postinstall patch, so a single state holds Jest plus 100+ spec
// files. Jest's test timeouts run on the VM's virtual clock. Every spec file gets a fresh module registry from
// jest-runtime; roblox-ts keys its runtime in _G by the importing ModuleScript, so a setup file clears those keys
// before each file ("Multiple TS runtimes" otherwise).
import type { TreeNode } from "./project.js";
import { nodeFromProject } from "./project.js";
import { RobloxVm, type ServicePlugin } from "./vm.js";

export interface JestTestResult {
	file: string;
	fullName: string;
	status: string;
	failureMessages: string[];
	durationMs?: number;
}

export interface JestRunResult {
	success: boolean;
	numTotalTests: number;
	numPassedTests: number;
	numFailedTests: number;
	numPendingTests: number;
	numTotalTestSuites: number;
	numFailedTestSuites: number;
	/** Suites that failed to run at all (e.g. an error while loading the file). */
	suiteErrors: { file: string; message: string }[];
	tests: JestTestResult[];
	/** Wall time of the run in ms. */
	wallMs: number;
	/** Output the VM printed outside Jest's own reporting. */
	output: { kind: string; text: string }[];
}

export interface JestRunOptions {
	/** A Rojo project (game type) holding ReplicatedStorage.rbxts_include.node_modules.@rbxts-js and the specs. */
	projectPath?: string;
	/** Or a tree built directly. */
	tree?: TreeNode;
	/** Path of the Instance holding jest.config and the specs, from game, e.g. ["ReplicatedStorage", "Specs"]. */
	root: string[];
	/** Path of the @rbxts-js folder, from game. */
	jestPackages?: string[];
	testPathPattern?: string;
	testNamePattern?: string;
	/** Virtual seconds the whole run may take (Jest's per-test timeouts also run on virtual time). */
	maxVirtualSeconds?: number;
	plugins?: ServicePlugin[];
	config?: Record<string, unknown>;
	echo?: boolean;
}

const SETUP_SOURCE = `
-- roblox-ts stores its runtime in _G keyed by the importing ModuleScript; jest-runtime gives every spec file a
-- fresh module registry, so stale keys must go before each file.
for key in pairs(_G) do
	if typeof(key) == "Instance" then
		_G[key] = nil
	end
end
return nil
`;

function luaPath(parts: string[]): string {
	return "game" + parts.map((p) => `[${JSON.stringify(p)}]`).join("");
}

export async function runJest(options: JestRunOptions): Promise<JestRunResult> {
	const started = Date.now();
	let tree = options.tree ?? (options.projectPath ? nodeFromProject(options.projectPath) : undefined);
	if (!tree) throw new Error("runJest needs a projectPath or a tree");
	tree = {
		...tree,
		children: [
			...tree.children,
			{
				name: "ServerStorage",
				className: "ServerStorage",
				children: [{ name: "JestHarnessSetup", className: "ModuleScript", source: SETUP_SOURCE, children: [] }],
			},
		],
	};
	const vm = await RobloxVm.create({
		role: "server",
		tree,
		plugins: options.plugins,
		config: options.config,
		echo: options.echo,
	});
	try {
		const jestPackages = options.jestPackages ?? ["ReplicatedStorage", "rbxts_include", "node_modules", "@rbxts-js"];
		const cliOptions: string[] = ["ci = true", "verbose = false", "setupFiles = { setup }"];
		if (options.testPathPattern) cliOptions.push(`testPathPattern = ${JSON.stringify(options.testPathPattern)}`);
		if (options.testNamePattern) cliOptions.push(`testNamePattern = ${JSON.stringify(options.testNamePattern)}`);
		const source = `
local H = ...
local root = ${luaPath(options.root)}
local Jest = require(${luaPath(jestPackages)}.Jest)
local setup = game:GetService("ServerStorage").JestHarnessSetup
local status, result = Jest.runCLI(root, { ${cliOptions.join(", ")} }, { root }):awaitStatus()
if status ~= "Resolved" then
	-- Promise errors chain through .parent; the innermost holds the real cause.
	local e = result
	while type(e) == "table" and e.parent do
		e = e.parent
	end
	local detail = type(e) == "table" and (tostring(e.error) .. " " .. tostring(e.trace or "")) or tostring(e)
	error("Jest runCLI did not resolve (" .. tostring(status) .. "): " .. detail)
end
local r = result.results
local out = {
	success = r.success,
	numTotalTests = r.numTotalTests,
	numPassedTests = r.numPassedTests,
	numFailedTests = r.numFailedTests,
	numPendingTests = r.numPendingTests,
	numTotalTestSuites = r.numTotalTestSuites,
	numFailedTestSuites = r.numFailedTestSuites,
	suiteErrors = {},
	tests = {},
}
for _, suite in r.testResults do
	local file = tostring(suite.testFilePath)
	if suite.testExecError then
		table.insert(out.suiteErrors, { file = file, message = tostring(suite.testExecError.message or suite.failureMessage) })
	elseif suite.failureMessage and #suite.testResults == 0 then
		table.insert(out.suiteErrors, { file = file, message = tostring(suite.failureMessage) })
	end
	for _, t in suite.testResults do
		local messages = {}
		for _, m in t.failureMessages do
			table.insert(messages, tostring(m))
		end
		table.insert(out.tests, {
			file = file,
			fullName = t.fullName,
			status = t.status,
			failureMessages = messages,
			durationMs = t.duration,
		})
	end
end
return game:GetService("HttpService"):JSONEncode(out)
`;
		const [json] = await vm.run<[string]>(source, {
			maxSeconds: options.maxVirtualSeconds ?? 3600,
			chunkName: "JestHarness",
		});
		const parsed = JSON.parse(json) as Omit<JestRunResult, "wallMs" | "output">;
		parsed.tests = Object.values(parsed.tests ?? []);
		parsed.suiteErrors = Object.values(parsed.suiteErrors ?? []);
		for (const t of parsed.tests) t.failureMessages = Object.values(t.failureMessages ?? []);
		return { ...parsed, wallMs: Date.now() - started, output: vm.output.map(({ kind, text }) => ({ kind, text })) };
	} finally {
		vm.destroy();
	}
}
