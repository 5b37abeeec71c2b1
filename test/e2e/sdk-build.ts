// Builds the SDK model once per test process (npm test builds it first; this covers running a file alone).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { nodeFromProject, type TreeNode } from "../harness/project.js";

export const repoRoot = join(import.meta.dirname, "..", "..");

export function ensureSdkBuilt(): void {
	if (existsSync(join(repoRoot, "out", "init.lua")) && existsSync(join(repoRoot, "include", "RuntimeLib.lua"))) return;
	execFileSync("npx", ["rbxtsc", "-p", "tsconfig.json", "--type", "model", "--luau=false"], {
		cwd: repoRoot,
		stdio: "inherit",
	});
}

/** A game tree with the SDK model where a Rojo user would put it: ReplicatedStorage.Vantage. */
export function sdkTree(): TreeNode {
	return {
		name: "Game",
		className: "DataModel",
		children: [
			{
				name: "ReplicatedStorage",
				className: "ReplicatedStorage",
				children: [nodeFromProject(join(repoRoot, "default.project.json"))],
			},
		],
	};
}
