import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ROOT = join(import.meta.dirname, "..", "..");

/**
 * The V8 flags every backend process runs with (`npm start`, deploy/vantage@.service, and the servers tests and
 * benchmarks spawn). `--max-semi-space-size=64` (MiB; Node 20's default tops out at 16): a batch's objects live for
 * its ~60 ms in flight and the stored rows until the rollup job folds them, so with the default young generation each
 * scavenge copies several MB of them and half the backend's GC ran on V8's helper threads. Measured on the scale
 * bench (one server, 4 runs alternating): scavenges 70 → 30 per run, their main-thread time −30%, helper threads
 * about 5 ms less CPU per 1,000 events; it costs up to ~130 MB more of young generation per process.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];

export interface ChildServer {
	process: ChildProcess;
	url: string;
	/** SIGKILL: no shutdown hooks, no flush — what a crash looks like. */
	killHard(): Promise<void>;
}

/**
 * Runs the real entry point (server/main.ts) as `node --import tsx` — one process, so signals reach the server
 * itself rather than a wrapper — and resolves once it logs "listening".
 *
 * @example
 * const server = await spawnServer({ VANTAGE_DATA_DIR: dir });
 * await server.killHard();
 */
export async function spawnServer(
	env: Record<string, string>,
	options: {
		/** Extra node flags, e.g. ["--cpu-prof"] when profiling the server. */ nodeArgs?: string[];
		/** Every line the server writes to stdout (its JSON log), from the first on. */
		onLine?: (line: string) => void;
		/** How long to wait for "listening" (a loaded machine compiles the server slowly). @default 30000 */
		startTimeoutMs?: number;
	} = {},
): Promise<ChildServer> {
	const proc = spawn(
		process.execPath,
		[...SERVER_NODE_FLAGS, ...(options.nodeArgs ?? []), "--import", "tsx", "server/main.ts"],
		{
			cwd: ROOT,
			// LOG_LEVEL info at least: the "listening" line is how the URL (with the port PORT=0 picked) comes back.
			env: {
				...process.env,
				TSX_TSCONFIG_PATH: "server/tsconfig.json",
				PORT: "0",
				HOST: "127.0.0.1",
				...env,
				LOG_LEVEL: "info",
			},
			stdio: ["ignore", "pipe", "pipe"],
		},
	);
	let stderr = "";
	proc.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
	const url = await new Promise<string>((resolve, reject) => {
		const timer = setTimeout(
			() => reject(new Error(`server did not start: ${stderr}`)),
			options.startTimeoutMs ?? 30_000,
		);
		proc.once("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
		createInterface({ input: proc.stdout! }).on("line", (line) => {
			options.onLine?.(line);
			let record: { msg?: string; url?: string };
			try {
				record = JSON.parse(line) as typeof record;
			} catch {
				return;
			}
			if (record.msg === "listening" && record.url) {
				clearTimeout(timer);
				resolve(record.url);
			}
		});
	}).catch((error: unknown) => {
		proc.kill("SIGKILL");
		throw error;
	});
	const killHard = () =>
		new Promise<void>((resolve) => {
			if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
			proc.once("exit", () => resolve());
			proc.kill("SIGKILL");
		});
	return { process: proc, url, killHard };
}
