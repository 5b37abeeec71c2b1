// The roblox-ts package as `npm pack` makes it, for the suites that install it into a throwaway game
// (package-rbxts.test.ts, flamework.test.ts). vitest runs test files in parallel and the package is built in one
// folder (dist/rbxts), so a build and its pack hold a lock that other test processes wait for.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { buildPackage, dist } from "../../packaging/build.js";
import { repoRoot } from "./sdk-build.js";

export interface PackResult {
	filename: string;
	files: { path: string }[];
}

/** A lock older than a build can take was left by a killed process. */
const STALE_LOCK_MS = 10 * 60_000;

async function withPackLock<T>(body: () => T): Promise<T> {
	const lock = join(dist, ".pack-lock");
	mkdirSync(dist, { recursive: true });
	for (;;) {
		try {
			mkdirSync(lock);
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
			const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
			if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
			else await sleep(500);
		}
	}
	try {
		return body();
	} finally {
		rmSync(lock, { recursive: true, force: true });
	}
}

/**
 * Builds the package (packaging/build.ts) and packs it into `destination` with `env` (the caller's npm cache).
 * Takes minutes on a busy machine: two rbxtsc runs (the SDK, its Flamework adapter), and maybe another test process's build first.
 */
export function packSdk(destination: string, env: NodeJS.ProcessEnv): Promise<PackResult> {
	return withPackLock(() => {
		const packageDir = buildPackage();
		const out = execFileSync("npm", ["pack", packageDir, "--pack-destination", destination, "--json"], {
			cwd: repoRoot,
			encoding: "utf8",
			env,
		});
		return (JSON.parse(out) as [PackResult])[0];
	});
}
