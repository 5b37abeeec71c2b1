// A whole scale deployment on loopback, for the fault suite and benchmarks: PostgreSQL (metadata), ClickHouse shards
// (events), Redis (shared instance state), two or more backend instances (the real entry point, each its own process)
// and HAProxy in front of them, the way deploy/ describes it. Every part can be crashed and restarted on its own port,
// so a test can take one down under load and watch the rest carry on.
//
// `engines: "sqlite"` runs the same instances over one shared SQLite data directory (multi-process SQLite) instead of
// the services: the embedded default behind a load balancer.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer, type ChildServer } from "./child-server.js";
import { startLoadBalancer } from "./load-balancer.js";
import { TEST_PASSWORD } from "./test-app.js";
import {
	freePort,
	startClickHouse,
	startPostgres,
	startRedis,
	type ClickHouseService,
	type PostgresService,
	type RedisService,
} from "./services.js";

const ROOT = join(import.meta.dirname, "..", "..");

export type ClusterEngines = "scale" | "sqlite";

export interface ClusterOptions {
	/** "scale": PostgreSQL + ClickHouse + Redis; "sqlite": one SQLite data directory shared. @default "scale" */
	engines?: ClusterEngines;
	/** Backend instances behind the load balancer. @default 2 */
	instances?: number;
	/** ClickHouse shards (scale engines only). @default 2 */
	shards?: number;
	/** More environment for every instance (rate limits, token TTL, …). */
	env?: Record<string, string>;
	/** The shared data directory of "sqlite" engines (e.g. on a small disk the test mounted). @default a new one */
	dataDir?: string;
}

/** One backend instance: a `server/main.ts` process on its own fixed port (a restart comes back on it). */
export interface ClusterInstance {
	/** 1-based, as the load balancer names it (`instance1`, …). */
	index: number;
	/** `http://127.0.0.1:<port>`, the instance itself (not through the load balancer). */
	url: string;
	port: number;
	dataDir: string;
	/** Whether its process is running. */
	running(): boolean;
}

export interface Cluster {
	engines: ClusterEngines;
	/** The load balancer's address: what game servers and admins use. */
	url: string;
	instances: ClusterInstance[];
	/** The services (scale engines only). */
	postgres?: PostgresService;
	clickhouse?: ClickHouseService;
	redis?: RedisService;
	/** ClickHouse database of the events (scale engines only). */
	eventsDatabase?: string;
	/** The environment every instance (and the CLI) runs with. */
	env: Record<string, string>;
	/** Sends `signal` to instance `index` (1-based): SIGKILL is a crash, SIGTERM a graceful stop. */
	kill(index: number, signal?: NodeJS.Signals): Promise<void>;
	/**
	 * Starts a stopped instance again on its port, with the same environment; resolves once it listens. Like a
	 * supervisor, it starts it again (every second, for up to `withinMs`) while it exits at start because a store is
	 * unreachable.
	 */
	restart(index: number, options?: { /** @default 120000 */ withinMs?: number }): Promise<void>;
	/**
	 * Runs `npm run vantage -- <args>` against the deployment (the CLI reads the same environment as the instances);
	 * returns its standard output, or throws with its error output.
	 */
	cli(args: string[], stdin?: string): Promise<string>;
	/** Creates the game if new and a game key for it with the CLI; returns the key. */
	gameKey(gameId: string): Promise<string>;
	/** Creates an instance admin with the CLI and logs in through the load balancer; returns the Authorization value. */
	adminAuth(): Promise<string>;
	/** Stops everything and deletes the data. */
	stop(): Promise<void>;
}

/**
 * Starts a deployment: the services (scale engines), the instances (each waits until it listens), then HAProxy
 * balancing round-robin with health checks, retrying a request whose connection failed on another instance.
 *
 * @example
 * const cluster = await startCluster();
 * const key = await cluster.gameKey("5150");
 * await cluster.kill(1, "SIGKILL");
 * await cluster.restart(1);
 * await cluster.stop();
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
	const engines = options.engines ?? "scale";
	const count = options.instances ?? 2;
	const root = mkdtempSync(join(tmpdir(), "vantage-cluster-"));
	const stops: (() => Promise<void>)[] = [];
	const cleanup = async () => {
		for (const stop of stops.reverse()) await stop().catch(() => undefined);
		rmSync(root, { recursive: true, force: true });
	};
	try {
		const env: Record<string, string> = {
			// One master key for every instance: what one wraps, another must open.
			VANTAGE_MASTER_KEY: randomBytes(32).toString("base64"),
			// The load balancer is the proxy whose X-Forwarded-For is believed.
			VANTAGE_TRUSTED_PROXIES: "127.0.0.1",
			...options.env,
		};
		let postgres: PostgresService | undefined;
		let clickhouse: ClickHouseService | undefined;
		let redis: RedisService | undefined;
		let eventsDatabase: string | undefined;
		if (engines === "scale") {
			[postgres, clickhouse, redis] = await Promise.all([
				startPostgres(),
				startClickHouse({ shards: options.shards ?? 2 }),
				startRedis(),
			]);
			stops.push(
				() => postgres!.stop(),
				() => clickhouse!.stop(),
				() => redis!.stop(),
			);
			eventsDatabase = "vantage_cluster";
			env.VANTAGE_METADATA_URL = postgres.url;
			env.VANTAGE_EVENTS_URL = clickhouse.eventsUrl(eventsDatabase);
			env.VANTAGE_REDIS_URL = redis.url;
		}
		const sharedDir = options.dataDir ?? join(root, "data");
		const instances: (ClusterInstance & { env: Record<string, string>; child?: ChildServer })[] = [];
		for (let i = 1; i <= count; i++) {
			// Scale instances keep nothing of their own; SQLite ones share the database (multi-process WAL).
			const dataDir = engines === "sqlite" ? sharedDir : join(root, `instance${i}`);
			mkdirSync(dataDir, { recursive: true });
			const port = await freePort();
			instances.push({
				index: i,
				port,
				url: `http://127.0.0.1:${port}`,
				dataDir,
				env: { ...env, VANTAGE_DATA_DIR: dataDir, PORT: String(port) },
				running() {
					const child = this.child?.process;
					return Boolean(child && child.exitCode === null && child.signalCode === null);
				},
			});
		}
		const startInstance = async (instance: (typeof instances)[number], firstStart = false) => {
			for (let attempt = 0; ; attempt++) {
				try {
					instance.child = await spawnServer(instance.env, { startTimeoutMs: 120_000 });
					return;
				} catch (error) {
					// A free port can be taken by another process before the instance binds it; before the load balancer
					// knows the port, another one will do.
					if (!firstStart || attempt >= 3 || !String(error).includes("EADDRINUSE")) throw error;
					instance.port = await freePort();
					instance.url = `http://127.0.0.1:${instance.port}`;
					instance.env.PORT = String(instance.port);
				}
			}
		};
		// The first instance creates the schemas alone; the others then open what it made.
		await startInstance(instances[0]!, true);
		stops.push(async () => {
			for (const instance of instances) await stopInstance(instance.child);
		});
		await Promise.all(instances.slice(1).map((instance) => startInstance(instance, true)));

		// deploy/haproxy.cfg itself (F's helper), its health checks taking a dead instance out of rotation.
		const balancer = await startLoadBalancer({ backends: instances.map((i) => i.port) });
		stops.push(balancer.stop);
		await waitUntil(`the load balancer at ${balancer.url} to pass requests`, async () => {
			const res = await fetch(`${balancer.url}/healthz`).catch(() => undefined);
			return res?.status === 200;
		}).catch((error: unknown) => {
			throw new Error(`${(error as Error).message}\n${balancer.output()}`);
		});

		const cliEnv = { ...instances[0]!.env };
		delete cliEnv.PORT;
		const cli = (args: string[], stdin?: string) => runCliProcess(args, cliEnv, stdin);
		const instanceAt = (index: number) => {
			const instance = instances[index - 1];
			if (!instance) throw new Error(`no instance ${index} (there are ${instances.length})`);
			return instance;
		};
		const cluster: Cluster = {
			engines,
			url: balancer.url,
			instances,
			postgres,
			clickhouse,
			redis,
			eventsDatabase,
			env,
			async kill(index, signal = "SIGKILL") {
				const instance = instanceAt(index);
				await stopInstance(instance.child, signal);
			},
			async restart(index, options = {}) {
				const instance = instanceAt(index);
				if (instance.running()) throw new Error(`instance ${index} is running`);
				// As a supervisor (systemd Restart=always, RestartSec=1) does: an instance refuses to start while a store
				// is unreachable, so it is started again until it stays up.
				const deadline = Date.now() + (options.withinMs ?? 120_000);
				for (;;) {
					try {
						await startInstance(instance);
						return;
					} catch (error) {
						if (!String(error).includes("server exited") || Date.now() > deadline) throw error;
						await new Promise((r) => setTimeout(r, 1000));
					}
				}
			},
			cli,
			async gameKey(gameId) {
				const out = await cli(["keys", "create", "--game", gameId]);
				const key = out.trim().split("\n").at(-1)?.trim();
				if (!key) throw new Error(`keys create printed no key: ${out}`);
				return key;
			},
			async adminAuth() {
				const email = `admin-${randomBytes(4).toString("hex")}@example.com`;
				await cli(["users", "create", "--email", email, "--admin", "--password-stdin"], `${TEST_PASSWORD}\n`);
				const res = await fetch(`${balancer.url}/v1/admin/login`, {
					method: "POST",
					headers: { "Content-Type": "application/json" },
					body: JSON.stringify({ email, password: TEST_PASSWORD }),
				});
				if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
				return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
			},
			stop: cleanup,
		};
		return cluster;
	} catch (error) {
		await cleanup();
		throw error;
	}
}

function stopInstance(child: ChildServer | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
	const proc = child?.process;
	if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
		proc.once("exit", () => {
			clearTimeout(timer);
			resolve();
		});
		proc.kill(signal);
	});
}

async function runCliProcess(args: string[], env: Record<string, string>, stdin?: string): Promise<string> {
	const proc = spawn(process.execPath, ["--import", "tsx", "server/cli.ts", ...args], {
		cwd: ROOT,
		env: { ...process.env, TSX_TSCONFIG_PATH: "server/tsconfig.json", LOG_LEVEL: "error", ...env },
		stdio: ["pipe", "pipe", "pipe"],
	});
	let stdout = "";
	let stderr = "";
	proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
	proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
	proc.stdin.end(stdin ?? "");
	const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
	if (code !== 0) throw new Error(`vantage ${args.join(" ")} failed (${code}): ${stderr || stdout}`);
	return stdout;
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await probe())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}
