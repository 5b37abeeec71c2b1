// The roblox-ts package as `npm pack` makes it, for the suites that install it into a throwaway game
// (package-rbxts.test.ts, flamework.test.ts). vitest runs test files in parallel and the package is built in one
// folder (dist/rbxts), so a build and its pack hold a lock that other test processes wait for.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { buildPackage, dist, PACKAGE_NAME } from "../../packaging/build.js";
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

/** How a throwaway game is made from one of the example games (see {@link installGame}). */
export interface GameInstall {
	/** The example game's folder under the repository, e.g. "example/roblox-ts". */
	example: string;
	/** Where the game goes (created). */
	gameDir: string;
	/** The packed SDK: `tarball` is its path. */
	tarball: string;
	/** npm's environment (the caller's own cache). */
	env: NodeJS.ProcessEnv;
	/** Packages the game needs besides the SDK, copied from this repository's node_modules at their versions. */
	packages: readonly string[];
	/** Tools this repository provides instead of the game (the compilers), dropped from its devDependencies. */
	repositoryTools: readonly string[];
	/** Node tools the game's tsconfig names, linked from this repository after npm install (which would prune them). */
	linkTools?: readonly string[];
}

function versionOf(dir: string): string {
	return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Makes the game a user would have after `npm install <the packed SDK>` in a copy of an example game, offline and
 * deterministic: its other packages are copied from this repository's node_modules and listed in its manifest at
 * their versions (so npm only unpacks the tarball, with --offline, and fetches nothing); then this repository's
 * rbxtsc compiles it.
 */
export function installGame(install: GameInstall): void {
	const { gameDir } = install;
	cpSync(join(repoRoot, install.example), gameDir, {
		recursive: true,
		filter: (src) => !/[/\\](node_modules|out|include)$/.test(src),
	});
	const manifest = JSON.parse(readFileSync(join(gameDir, "package.json"), "utf8")) as {
		dependencies: Record<string, string>;
		devDependencies: Record<string, string>;
	};
	delete manifest.dependencies[PACKAGE_NAME]; // npm install below adds it back, from the tarball
	for (const tool of install.repositoryTools) delete manifest.devDependencies[tool];
	for (const name of install.packages) {
		const from = join(repoRoot, "node_modules", name);
		cpSync(from, join(gameDir, "node_modules", name), { recursive: true, dereference: true });
		const types = name === "@rbxts/types" || name === "@rbxts/compiler-types";
		(types ? manifest.devDependencies : manifest.dependencies)[name] = versionOf(from);
	}
	writeFileSync(join(gameDir, "package.json"), JSON.stringify(manifest, null, "\t"));
	execFileSync("npm", ["install", install.tarball, "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
		cwd: gameDir,
		stdio: "pipe",
		env: install.env,
	});
	for (const tool of install.linkTools ?? []) {
		symlinkSync(join(repoRoot, "node_modules", tool), join(gameDir, "node_modules", tool), "dir");
	}
	execFileSync(join(repoRoot, "node_modules/.bin/rbxtsc"), ["-p", "."], { cwd: gameDir, stdio: "pipe" });
}
