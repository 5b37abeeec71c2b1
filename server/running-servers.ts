// Which Vantage servers run on this machine, and on which data directory, so the CLI can warn before it changes a
// database no running server reads (`npm run vantage -- keys create` into ./data while `npm start` serves
// /srv/vantage: the key would never work, and nothing would say why).
//
// Each server writes `<runDir>/<pid>-<port>.json` once it listens and removes it when it closes. The run directory is
// per user and outside every data directory, because the question is precisely about a server on *another*
// directory. A file whose process is gone (a crash, kill -9) is stale: readers skip it and remove it.
import { mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";

/** What a running server tells the CLI about itself. */
export interface RunningServerInfo {
	pid: number;
	/** The data directory, absolute and with symlinks resolved. */
	dataDir: string;
	/** Where it listens, e.g. `http://127.0.0.1:8080`. */
	url: string;
	/** Unix ms. */
	startedAt: number;
}

/** The run directory of the current user: `$TMPDIR/vantage-servers-<uid>`. */
export function defaultRunDir(): string {
	let user: string;
	try {
		user = String(userInfo().uid);
	} catch {
		user = "user";
	}
	return join(tmpdir(), `vantage-servers-${user}`);
}

/** A data directory as compared between processes: absolute, symlinks resolved when it exists. */
export function canonicalDataDir(dataDir: string): string {
	const absolute = resolve(dataDir);
	try {
		return realpathSync(absolute);
	} catch {
		return absolute;
	}
}

/**
 * Records this process as a server on `dataDir`; returns the function that removes the record (call it on close).
 * Best effort: a run directory that cannot be written only costs the CLI its warning, never the server its start.
 *
 * @example
 * const unregister = registerRunningServer({ dataDir: config.dataDir, url, port });
 * // … on close:
 * unregister();
 */
export function registerRunningServer(
	server: { dataDir: string; url: string; port: number },
	options: { runDir?: string; pid?: number; now?: number } = {},
): () => void {
	const runDir = options.runDir ?? defaultRunDir();
	const pid = options.pid ?? process.pid;
	// The port too: one process (a test run) may serve several times at once.
	const file = join(runDir, `${pid}-${server.port}.json`);
	const info: RunningServerInfo = {
		pid,
		dataDir: canonicalDataDir(server.dataDir),
		url: server.url,
		startedAt: options.now ?? Date.now(),
	};
	try {
		mkdirSync(runDir, { recursive: true, mode: 0o700 });
		writeFileSync(file, `${JSON.stringify(info)}\n`, { mode: 0o600 });
	} catch {
		return () => undefined;
	}
	return () => rmSync(file, { force: true });
}

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === "EPERM";
	}
}

/**
 * The servers running now, from the run directory. Files of processes that are gone are removed; unreadable or
 * malformed files are skipped.
 */
export function listRunningServers(
	options: { runDir?: string; alive?: (pid: number) => boolean } = {},
): RunningServerInfo[] {
	const runDir = options.runDir ?? defaultRunDir();
	const alive = options.alive ?? processAlive;
	let names: string[];
	try {
		names = readdirSync(runDir);
	} catch {
		return [];
	}
	const servers: RunningServerInfo[] = [];
	for (const name of names) {
		if (!/^\d+-\d+\.json$/.test(name)) continue;
		const file = join(runDir, name);
		const info = readInfo(file);
		if (!info) continue;
		if (!alive(info.pid)) {
			rmSync(file, { force: true });
			continue;
		}
		servers.push(info);
	}
	return servers.sort((a, b) => a.startedAt - b.startedAt);
}

function readInfo(file: string): RunningServerInfo | undefined {
	try {
		const value = JSON.parse(readFileSync(file, "utf8")) as Partial<RunningServerInfo>;
		if (!Number.isSafeInteger(value.pid) || typeof value.dataDir !== "string" || typeof value.url !== "string") {
			return undefined;
		}
		return {
			pid: value.pid!,
			dataDir: value.dataDir,
			url: value.url,
			startedAt: typeof value.startedAt === "number" ? value.startedAt : 0,
		};
	} catch {
		return undefined;
	}
}

/**
 * The warning the CLI prints before opening `dataDir`, or undefined when no server runs or one runs on that very
 * directory (the CLI and the server then share the database, which is how the CLI is meant to be used).
 *
 * @example
 * const warning = dataDirWarning("./data", listRunningServers());
 * if (warning) process.stderr.write(warning);
 */
export function dataDirWarning(dataDir: string, servers: readonly RunningServerInfo[]): string | undefined {
	const mine = canonicalDataDir(dataDir);
	if (servers.length === 0 || servers.some((s) => s.dataDir === mine)) return undefined;
	const lines = servers.map((s) => `  pid ${s.pid} at ${s.url} uses ${s.dataDir}`);
	return (
		`Warning: this command opens the data directory ${mine}, but the running Vantage server${servers.length > 1 ? "s use" : " uses"} another:\n` +
		`${lines.join("\n")}\n` +
		`What this command changes is not seen by ${servers.length > 1 ? "them" : "it"}. To act on a running server's data, set VANTAGE_DATA_DIR=${servers[0]!.dataDir}\n`
	);
}
