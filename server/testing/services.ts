// Throwaway database servers on loopback for tests, benchmarks and the fault suite: PostgreSQL (metadata), ClickHouse
// (events; one server per shard, every shard knowing the cluster) and Redis (shared instance state). Each lives in
// its own temporary folder and port range and is gone after stop(). The binaries come from Debian's packages
// (postgresql, clickhouse-server, redis-server), which .ci/run installs; `serviceAvailable` tells whether they are here.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type ServiceKind = "postgres" | "clickhouse" | "redis";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const BINARIES: Record<ServiceKind, string> = {
	postgres: join(PG_BIN, "postgres"),
	clickhouse: "/usr/bin/clickhouse-server",
	redis: "/usr/bin/redis-server",
};

/** Whether the service's binary is installed (Debian packages; .ci/run installs them). */
export function serviceAvailable(kind: ServiceKind): boolean {
	if (kind === "clickhouse") return existsSync(BINARIES.clickhouse) || existsSync("/usr/sbin/clickhouse-server");
	return existsSync(BINARIES[kind]);
}

/**
 * Whether tests needing the service must run: always in CI (where a missing binary is a failure, not a skip), else
 * when it is installed.
 */
export function serviceRequired(kind: ServiceKind): boolean {
	return process.env.CI === "true" || serviceAvailable(kind);
}

/**
 * The first port of the kernel's ephemeral range (`ip_local_port_range`): ports from there up are what outgoing
 * connections take as their local port, so a port found free there can be taken by any client socket before the
 * service binds it (seen: a ClickHouse shard whose HTTP port an outgoing connection took while the suites ran).
 */
function ephemeralStart(): number {
	try {
		const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
		const port = Number(low);
		return Number.isInteger(port) && port > 2048 ? port : 32768;
	} catch {
		return 32768;
	}
}

/** Ports this process handed out already (never given twice). */
const handedOut = new Set<number>();

/** Whether `port` can be bound on loopback now. */
function bindable(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = createServer();
		server.once("error", () => resolve(false));
		server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
	});
}

/**
 * A free TCP port on loopback for a service: drawn at random below the ephemeral range (which outgoing connections
 * use), never the same twice in this process, and bindable when drawn. Other processes drawing the same port at the
 * same instant remain possible (1 in ~10,000 a pair); the callers' readiness checks report it.
 */
export async function freePort(): Promise<number> {
	const high = ephemeralStart();
	const low = Math.max(1024, high - 12_000);
	for (let attempt = 0; attempt < 200; attempt++) {
		const port = low + Math.floor(Math.random() * (high - low));
		if (handedOut.has(port) || !(await bindable(port))) continue;
		handedOut.add(port);
		return port;
	}
	throw new Error(`No free port found on 127.0.0.1 in ${low}-${high - 1}.`);
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			if (await probe()) return;
		} catch {
			// not up yet
		}
		if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
		child.once("exit", () => {
			clearTimeout(timer);
			resolve();
		});
		child.kill(signal);
	});
}

// ---------------------------------------------------------------------------------------------------------- PostgreSQL

export interface PostgresService {
	/** `postgres://vantage@127.0.0.1:<port>/vantage` (trust authentication on loopback). */
	url: string;
	port: number;
	dataDir: string;
	/** A URL of a new empty database on this server (one per test suite keeps suites apart). */
	createDatabase(name: string): Promise<string>;
	/** Stops the server (fast shutdown), keeping the data. */
	stopServer(mode?: "fast" | "immediate"): Promise<void>;
	/** Starts the stopped server again on the same port and data. */
	startServer(): Promise<void>;
	/** Stops the server and deletes its data. */
	stop(): Promise<void>;
}

/** The user PostgreSQL runs as: it refuses root, so as root the server runs as Debian's `postgres` user. */
function pgUser(): { uid: number; gid: number } | undefined {
	if (process.getuid?.() !== 0) return undefined;
	const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
	const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
	if (id.status !== 0) throw new Error("PostgreSQL cannot run as root and there is no `postgres` user to run it as.");
	return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Starts a PostgreSQL 15 server in a new temporary cluster on a free loopback port.
 *
 * @example
 * const pg = await startPostgres();
 * const url = await pg.createDatabase("contract");
 * ...
 * await pg.stop();
 */
export async function startPostgres(options: { port?: number } = {}): Promise<PostgresService> {
	const user = pgUser();
	const root = mkdtempSync(join(tmpdir(), "vantage-pg-"));
	const dataDir = join(root, "data");
	if (user) {
		chmodSync(root, 0o755);
		chownSync(root, user.uid, user.gid);
	}
	const spawnAs = user ? { uid: user.uid, gid: user.gid } : {};
	const init = spawnSync(
		join(PG_BIN, "initdb"),
		["-D", dataDir, "-U", "vantage", "--auth=trust", "--encoding=UTF8", "--no-sync"],
		{ encoding: "utf8", ...spawnAs },
	);
	if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
	const port = options.port ?? (await freePort());
	let child: ChildProcess | undefined;
	const start = async () => {
		child = spawn(
			join(PG_BIN, "postgres"),
			[
				"-D",
				dataDir,
				"-p",
				String(port),
				"-k",
				root,
				"-c",
				"listen_addresses=127.0.0.1",
				"-c",
				"max_connections=200",
				"-c",
				"shared_buffers=64MB",
			],
			{ stdio: ["ignore", "ignore", "pipe"], ...spawnAs },
		);
		let stderr = "";
		child.stderr?.on("data", (chunk: Buffer) => {
			stderr = (stderr + chunk.toString()).slice(-4000);
		});
		await waitFor(
			`PostgreSQL on port ${port}`,
			() => {
				if (child?.exitCode !== null) throw new Error(`PostgreSQL exited: ${stderr}`);
				const r = spawnSync("/usr/bin/pg_isready", ["-h", "127.0.0.1", "-p", String(port)], { encoding: "utf8" });
				return r.status === 0;
			},
			30_000,
		).catch((error: unknown) => {
			throw new Error(`${(error as Error).message}\n${stderr}`);
		});
	};
	await start();
	const psql = (sql: string) => {
		const r = spawnSync(
			"/usr/bin/psql",
			["-h", "127.0.0.1", "-p", String(port), "-U", "vantage", "-d", "postgres", "-c", sql],
			{
				encoding: "utf8",
			},
		);
		if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
	};
	psql("CREATE DATABASE vantage");
	const base = `postgres://vantage@127.0.0.1:${port}`;
	return {
		url: `${base}/vantage`,
		port,
		dataDir,
		async createDatabase(name) {
			if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name "${name}"`);
			psql(`CREATE DATABASE ${name}`);
			return `${base}/${name}`;
		},
		async stopServer(mode = "fast") {
			if (!child) return;
			// SIGINT is PostgreSQL's fast shutdown, SIGQUIT its immediate one (a crash, recovered at the next start).
			await stopChild(child, mode === "fast" ? "SIGINT" : "SIGQUIT");
			child = undefined;
		},
		async startServer() {
			if (child && child.exitCode === null) return;
			await start();
		},
		async stop() {
			// Immediate shutdown: the data is deleted right after.
			if (child) await stopChild(child, "SIGQUIT");
			child = undefined;
			rmSync(root, { recursive: true, force: true });
		},
	};
}

// ---------------------------------------------------------------------------------------------------------- ClickHouse

export interface ClickHouseShard {
	/** HTTP interface, for @clickhouse/client: `http://127.0.0.1:<httpPort>`. */
	url: string;
	httpPort: number;
	tcpPort: number;
	dataDir: string;
	/** SIGKILL (a crash) or SIGTERM, keeping the data. */
	stopServer(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
	startServer(): Promise<void>;
}

export interface ClickHouseService {
	/** The shards, in cluster order; every one knows the cluster `cluster` (for Distributed tables). */
	shards: ClickHouseShard[];
	/** The cluster's name in every shard's `remote_servers`. */
	cluster: string;
	/**
	 * What VANTAGE_EVENTS_URL takes for this deployment: `clickhouse://127.0.0.1:<http1>,127.0.0.1:<http2>/<db>?cluster=…`
	 * for the database `database`.
	 */
	eventsUrl(database: string): string;
	stop(): Promise<void>;
}

function clickHouseConfig(options: {
	dir: string;
	httpPort: number;
	tcpPort: number;
	interserverPort: number;
	cluster: string;
	shardTcpPorts: number[];
}): string {
	const shards = options.shardTcpPorts
		.map((port) => `<shard><replica><host>127.0.0.1</host><port>${port}</port></replica></shard>`)
		.join("");
	return `<?xml version="1.0"?>
<yandex>
	<logger><level>warning</level><log>${options.dir}/server.log</log><errorlog>${options.dir}/error.log</errorlog><size>10M</size><count>1</count></logger>
	<http_port>${options.httpPort}</http_port>
	<tcp_port>${options.tcpPort}</tcp_port>
	<interserver_http_port>${options.interserverPort}</interserver_http_port>
	<listen_host>127.0.0.1</listen_host>
	<max_connections>512</max_connections>
	<keep_alive_timeout>10</keep_alive_timeout>
	<max_concurrent_queries>200</max_concurrent_queries>
	<uncompressed_cache_size>268435456</uncompressed_cache_size>
	<mark_cache_size>268435456</mark_cache_size>
	<path>${options.dir}/data/</path>
	<tmp_path>${options.dir}/tmp/</tmp_path>
	<user_files_path>${options.dir}/user_files/</user_files_path>
	<format_schema_path>${options.dir}/format_schemas/</format_schema_path>
	<users_config>${options.dir}/users.xml</users_config>
	<default_profile>default</default_profile>
	<default_database>default</default_database>
	<timezone>UTC</timezone>
	<mlock_executable>false</mlock_executable>
	<remote_servers><${options.cluster}>${shards}</${options.cluster}></remote_servers>
	<builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
	<max_session_timeout>3600</max_session_timeout>
	<default_session_timeout>60</default_session_timeout>
</yandex>
`;
}

const CLICKHOUSE_USERS = `<?xml version="1.0"?>
<yandex>
	<profiles><default><max_memory_usage>4000000000</max_memory_usage><load_balancing>random</load_balancing></default></profiles>
	<users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
	<quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

/**
 * Starts `shards` ClickHouse servers (one per shard, each with its own folder and ports) that all know the cluster, so
 * a Distributed table on any of them spans every shard.
 *
 * @example
 * const ch = await startClickHouse({ shards: 2 });
 * const url = ch.eventsUrl("vantage_test"); // VANTAGE_EVENTS_URL
 */
export async function startClickHouse(options: { shards?: number; cluster?: string } = {}): Promise<ClickHouseService> {
	const count = options.shards ?? 2;
	const cluster = options.cluster ?? "vantage";
	const binary = existsSync("/usr/bin/clickhouse-server")
		? "/usr/bin/clickhouse-server"
		: "/usr/sbin/clickhouse-server";
	const root = mkdtempSync(join(tmpdir(), "vantage-ch-"));
	const ports: { http: number; tcp: number; interserver: number }[] = [];
	for (let i = 0; i < count; i++)
		ports.push({ http: await freePort(), tcp: await freePort(), interserver: await freePort() });
	const shards: ClickHouseShard[] = [];
	const children: (ChildProcess | undefined)[] = [];
	for (let i = 0; i < count; i++) {
		const dir = join(root, `shard${i + 1}`);
		for (const sub of ["data", "tmp", "user_files", "format_schemas"]) mkdirSync(join(dir, sub), { recursive: true });
		writeFileSync(join(dir, "users.xml"), CLICKHOUSE_USERS);
		writeFileSync(
			join(dir, "config.xml"),
			clickHouseConfig({
				dir,
				httpPort: ports[i]!.http,
				tcpPort: ports[i]!.tcp,
				interserverPort: ports[i]!.interserver,
				cluster,
				shardTcpPorts: ports.map((p) => p.tcp),
			}),
		);
		const url = `http://127.0.0.1:${ports[i]!.http}`;
		const start = async () => {
			const child = spawn(binary, [`--config-file=${join(dir, "config.xml")}`], {
				stdio: ["ignore", "ignore", "pipe"],
				cwd: dir,
			});
			let stderr = "";
			child.stderr?.on("data", (chunk: Buffer) => {
				stderr = (stderr + chunk.toString()).slice(-4000);
			});
			children[i] = child;
			await waitFor(
				`ClickHouse shard ${i + 1} on port ${ports[i]!.http}`,
				async () => {
					if (child.exitCode !== null) throw new Error(`ClickHouse exited: ${stderr}`);
					const response = await fetch(`${url}/ping`);
					return response.ok;
				},
				60_000,
			).catch((error: unknown) => {
				throw new Error(`${(error as Error).message}\n${stderr}`);
			});
		};
		await start();
		shards.push({
			url,
			httpPort: ports[i]!.http,
			tcpPort: ports[i]!.tcp,
			dataDir: dir,
			async stopServer(signal = "SIGTERM") {
				const child = children[i];
				if (child) await stopChild(child, signal, 30_000);
				children[i] = undefined;
			},
			async startServer() {
				const child = children[i];
				if (child && child.exitCode === null) return;
				await start();
			},
		});
	}
	return {
		shards,
		cluster,
		eventsUrl(database) {
			const hosts = shards.map((s) => `127.0.0.1:${s.httpPort}`).join(",");
			return `clickhouse://${hosts}/${database}?cluster=${cluster}`;
		},
		async stop() {
			// The data is deleted right after: no need to wait for a clean shutdown (SIGTERM takes ~7 s per server).
			await Promise.all(children.map((child) => (child ? stopChild(child, "SIGKILL", 30_000) : undefined)));
			rmSync(root, { recursive: true, force: true });
		},
	};
}

// ---------------------------------------------------------------------------------------------------------- Redis

export interface RedisService {
	/** `redis://127.0.0.1:<port>`. */
	url: string;
	port: number;
	stopServer(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
	startServer(): Promise<void>;
	stop(): Promise<void>;
}

/**
 * Starts a Redis 7 server on a free loopback port, without persistence (state it holds is rebuilt or expires).
 *
 * @example
 * const redis = await startRedis();
 * process.env.VANTAGE_REDIS_URL = redis.url;
 */
export async function startRedis(): Promise<RedisService> {
	const root = mkdtempSync(join(tmpdir(), "vantage-redis-"));
	const port = await freePort();
	let child: ChildProcess | undefined;
	const start = async () => {
		child = spawn(
			BINARIES.redis,
			["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", root],
			{ stdio: ["ignore", "pipe", "pipe"] },
		);
		let out = "";
		child.stdout?.on("data", (chunk: Buffer) => {
			out = (out + chunk.toString()).slice(-4000);
		});
		await waitFor(
			`Redis on port ${port}`,
			() => {
				if (child?.exitCode !== null) throw new Error(`Redis exited: ${out}`);
				return out.includes("Ready to accept connections");
			},
			15_000,
		);
	};
	await start();
	return {
		url: `redis://127.0.0.1:${port}`,
		port,
		async stopServer(signal = "SIGTERM") {
			if (child) await stopChild(child, signal);
			child = undefined;
		},
		async startServer() {
			if (child && child.exitCode === null) return;
			await start();
		},
		async stop() {
			if (child) await stopChild(child, "SIGTERM");
			child = undefined;
			rmSync(root, { recursive: true, force: true });
		},
	};
}
