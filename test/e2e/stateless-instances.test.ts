// Two real backend processes (server/main.ts) on one deployment behind Debian's HAProxy running deploy/haproxy.cfg,
// with a Redis they share: what one instance knows, the other must act on.
// (a) the per-game rate limit holds across instances; (b) a key revoked through one instance is refused by the other
// at once; (c) a batch resent through the load balancer to the other instance is stored once and answered as a replay;
// (d) each background job runs on one instance (its lease), and moves to the other after the holder is killed;
// (e) with Redis gone, ingest carries on (per-instance limits) instead of failing.
// (f) an erasure through one instance is enforced by the other's ingest.
// Twice: on the scale engines (PostgreSQL for metadata, ClickHouse over two shards for events), and on one SQLite data
// directory both processes open (multi-process WAL). What the instances share is the stores, Redis and nothing else.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ListEventsResponse } from "../../server/ingest/routes.js";
import { DATABASE_FILE } from "../../server/server.js";
import { openSqliteStore } from "../../server/store/sqlite/sqlite-store.js";
import type { Store } from "../../server/store/types.js";
import { spawn } from "node:child_process";
import { openPostgresMetadata } from "../../server/store/postgres/index.js";
import { spawnServer, type ChildServer } from "../../server/testing/child-server.js";
import { makeBatch, makeEvents } from "../../server/testing/fixtures.js";
import {
	loadBalancerRequired,
	startLoadBalancer,
	type RunningLoadBalancer,
} from "../../server/testing/load-balancer.js";
import { fetchAdminAuth, fetchGameAuth, provisionAdmin, provisionGameKey } from "../../server/testing/provision.js";
import {
	serviceRequired,
	startClickHouse,
	startPostgres,
	startRedis,
	type ClickHouseService,
	type PostgresService,
	type RedisService,
} from "../../server/testing/services.js";
import { TEST_PASSWORD } from "../../server/testing/test-app.js";

const GAME_BURST = 10;
const LEASE_SECONDS = 2;
const JOBS = ["adaptive-updates", "batch-pruning"];

interface Instance {
	child: ChildServer;
	port: number;
	instanceId: string;
	/** Its JSON log lines, parsed. */
	log: Record<string, unknown>[];
}

async function until<T>(
	what: string,
	probe: () => T | undefined | Promise<T | undefined>,
	timeoutMs = 15_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

/** `npm run vantage -- <args>` with the deployment's environment; its standard output. */
async function cli(args: string[], env: Record<string, string>, stdin = ""): Promise<string> {
	const proc = spawn(process.execPath, ["--import", "tsx", "server/cli.ts", ...args], {
		env: { ...process.env, TSX_TSCONFIG_PATH: "server/tsconfig.json", LOG_LEVEL: "error", ...env },
		stdio: ["pipe", "pipe", "pipe"],
	});
	let out = "";
	let err = "";
	proc.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
	proc.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
	proc.stdin.end(stdin);
	const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
	if (code !== 0) throw new Error(`vantage ${args.join(" ")} failed (${code}): ${err || out}`);
	return out;
}

const ENGINES = [
	{ engines: "scale", required: serviceRequired("postgres") && serviceRequired("clickhouse") },
	{ engines: "sqlite", required: true },
] as const;

for (const { engines, required } of ENGINES) {
	describe.skipIf(!required || !serviceRequired("redis") || !loadBalancerRequired("haproxy"))(
		`stateless instances on ${engines} behind HAProxy`,
		() => {
			let redis: RedisService;
			let postgres: PostgresService | undefined;
			let clickhouse: ClickHouseService | undefined;
			let dir: string;
			let env: Record<string, string>;
			let instances: Instance[] = [];
			let lb: RunningLoadBalancer;
			let ownerAuth: string;

			const startInstance = async (env: Record<string, string>): Promise<Instance> => {
				const log: Record<string, unknown>[] = [];
				const child = await spawnServer(env, {
					onLine: (line) => {
						try {
							log.push(JSON.parse(line) as Record<string, unknown>);
						} catch {
							// not a log line
						}
					},
				});
				const listening = log.find((l) => l.msg === "listening")!;
				return { child, port: Number(new URL(child.url).port), instanceId: String(listening.instanceId), log };
			};
			/** The requests an instance logged with this request id. */
			const served = (instance: Instance, requestId: string) =>
				instance.log.filter((l) => l.msg === "request" && l.requestId === requestId);
			const post = (url: string, auth: string, body: unknown, requestId: string) =>
				fetch(`${url}/v1/batches`, {
					method: "POST",
					headers: { "Content-Type": "application/json", Authorization: auth, "X-Request-Id": requestId },
					body: JSON.stringify(body),
				});
			/** A new game key (the game created if new), made the way an operator does. */
			const gameKey = async (gameId: string): Promise<string> => {
				if (engines === "sqlite") return provisionGameKey(dir, gameId);
				const out = await cli(["keys", "create", "--game", gameId], env);
				return out.trim().split("\n").at(-1)!.trim();
			};
			/** A new instance admin's Authorization header, logged in through the load balancer. */
			const adminAuth = async (): Promise<string> => {
				if (engines === "sqlite") return fetchAdminAuth(lb.url, await provisionAdmin(dir, "owner"));
				const email = `admin-${randomBytes(4).toString("hex")}@example.com`;
				await cli(["users", "create", "--email", email, "--admin", "--password-stdin"], env, `${TEST_PASSWORD}\n`);
				return fetchAdminAuth(lb.url, email);
			};
			/** Who holds each job's lease now, as the metadata store says. */
			const leaseHolders = async (): Promise<(string | null)[]> => {
				const store: Pick<Store, "leases" | "close"> =
					engines === "sqlite"
						? openSqliteStore({ path: join(dir, DATABASE_FILE) })
						: await openPostgresMetadata({ url: env.VANTAGE_METADATA_URL! });
				try {
					return await Promise.all(JOBS.map((job) => store.leases.holder(job, Date.now())));
				} finally {
					await store.close();
				}
			};

			beforeAll(async () => {
				redis = await startRedis();
				dir = mkdtempSync(join(tmpdir(), "vantage-stateless-"));
				const stores: Record<string, string> = {};
				if (engines === "scale") {
					[postgres, clickhouse] = await Promise.all([startPostgres(), startClickHouse({ shards: 2 })]);
					stores.VANTAGE_METADATA_URL = await postgres.createDatabase("stateless");
					stores.VANTAGE_EVENTS_URL = clickhouse.eventsUrl("stateless");
				}
				env = {
					...stores,
					// Scale instances keep nothing here that another needs; SQLite ones share the database in it.
					VANTAGE_DATA_DIR: dir,
					VANTAGE_REDIS_URL: redis.url,
					// One master key for both (what one seals, the other opens), as deploy/vantage.env.example requires.
					VANTAGE_MASTER_KEY: randomBytes(32).toString("base64"),
					// HAProxy on loopback is the proxy whose X-Forwarded-For is believed.
					VANTAGE_TRUSTED_PROXIES: "127.0.0.1",
					// A burst of 10 batch posts per game, then one a second.
					VANTAGE_GAME_RATE_PER_SECOND: "1",
					VANTAGE_GAME_BURST: String(GAME_BURST),
					VANTAGE_JOB_LEASE_SECONDS: String(LEASE_SECONDS),
				};
				// The first creates the database; the second opens it.
				instances = [await startInstance(env)];
				instances.push(await startInstance(env));
				lb = await startLoadBalancer({ backends: instances.map((i) => i.port) });
				ownerAuth = await adminAuth();
			}, 180_000);

			afterAll(async () => {
				await lb?.stop();
				for (const instance of instances) await instance.child.killHard();
				await redis?.stop();
				await postgres?.stop();
				await clickhouse?.stop();
				if (dir) rmSync(dir, { recursive: true, force: true });
			}, 60_000);

			it("(a) limits a game's burst through the load balancer in total, not per instance", async () => {
				const gameAuth = await fetchGameAuth(lb.url, await gameKey("rate-game"));
				const tag = `burst-${randomBytes(4).toString("hex")}`;
				const answers = await Promise.all(
					Array.from({ length: 3 * GAME_BURST }, (_, i) =>
						post(lb.url, gameAuth, makeBatch(makeEvents(1, `${tag}-${i}`), { batchId: `${tag}-${i}` }), `${tag}-${i}`),
					),
				);
				const statuses = answers.map((res) => res.status);
				const accepted = statuses.filter((s) => s === 200).length;
				// A token a second comes back while the burst is in flight (a few under load); per-instance buckets accept 20.
				expect(accepted).toBeGreaterThanOrEqual(GAME_BURST);
				expect(accepted).toBeLessThanOrEqual(GAME_BURST + 4);
				expect(statuses.filter((s) => s === 429).length).toBe(3 * GAME_BURST - accepted);
				const limited = answers.find((res) => res.status === 429)!;
				expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
				// Both instances answered part of the burst, and both refused some of it.
				for (const instance of instances) {
					const mine = Array.from({ length: 3 * GAME_BURST }, (_, i) => served(instance, `${tag}-${i}`)).flat();
					expect(mine.length).toBeGreaterThan(0);
					expect(mine.some((l) => l.status === 429)).toBe(true);
				}
			}, 60_000);

			it("(b) refuses on instance 2, at the next request, a key revoked through instance 1", async () => {
				const [one, two] = instances as [Instance, Instance];
				const revokedKey = await gameKey("revoke-game");
				const gameAuth = await fetchGameAuth(two.child.url, revokedKey);
				const tag = `rev-${randomBytes(4).toString("hex")}`;
				expect(
					(
						await post(
							two.child.url,
							gameAuth,
							makeBatch(makeEvents(1, `${tag}-1`), { batchId: `${tag}-1` }),
							`${tag}-1`,
						)
					).status,
				).toBe(200);

				const listed = await fetch(`${one.child.url}/v1/admin/games/revoke-game/keys`, {
					headers: { Authorization: ownerAuth },
				});
				const [key] = ((await listed.json()) as { keys: { id: string }[] }).keys;
				const revoked = await fetch(`${one.child.url}/v1/admin/keys/${key!.id}/revoke`, {
					method: "POST",
					headers: { Authorization: ownerAuth },
				});
				expect(revoked.status).toBe(200);

				// The token instance 2 issued is still unexpired and correctly signed: only the revocation can refuse it.
				const after = await post(
					two.child.url,
					gameAuth,
					makeBatch(makeEvents(1, `${tag}-2`), { batchId: `${tag}-2` }),
					`${tag}-2`,
				);
				expect(after.status).toBe(401);
				// And the key gets no new token anywhere.
				for (const url of [two.child.url, lb.url]) {
					const token = await fetch(`${url}/v1/oauth/token`, {
						method: "POST",
						headers: { Authorization: `Bearer ${revokedKey}`, "Content-Type": "application/x-www-form-urlencoded" },
						body: "grant_type=client_credentials&scope=ingest",
					});
					expect(token.status).toBe(401);
				}
			}, 60_000);

			it("(c) stores a batch resent through the load balancer to the other instance once, answering the replay", async () => {
				const gameAuth = await fetchGameAuth(lb.url, await gameKey("idem-game"));
				const batchId = `idem-${randomBytes(4).toString("hex")}`;
				const batch = makeBatch(makeEvents(20, batchId), { batchId });
				const first = await post(lb.url, gameAuth, batch, `${batchId}-first`);
				const second = await post(lb.url, gameAuth, batch, `${batchId}-second`);
				expect(first.status).toBe(200);
				expect(second.status).toBe(200);
				const firstBody: unknown = await first.json();
				expect(firstBody).toMatchObject({ accepted: 20 });
				expect(second.headers.get("idempotent-replayed")).toBe("true");
				expect(await second.json()).toEqual(firstBody);
				// Round robin sent them to different instances.
				const firstOn = instances.findIndex((i) => served(i, `${batchId}-first`).length === 1);
				const secondOn = instances.findIndex((i) => served(i, `${batchId}-second`).length === 1);
				expect(firstOn).toBeGreaterThanOrEqual(0);
				expect(secondOn).toBeGreaterThanOrEqual(0);
				expect(secondOn).not.toBe(firstOn);

				// Concurrently, one copy on each instance: still stored once.
				const racedId = `${batchId}-raced`;
				const raced = makeBatch(makeEvents(20, racedId), { batchId: racedId });
				const both = await Promise.all(instances.map((i, n) => post(i.child.url, gameAuth, raced, `${racedId}-${n}`)));
				expect(both.map((r) => r.status)).toEqual([200, 200]);

				const analystAuth = await adminAuth();
				for (const id of [batchId, racedId]) {
					const read = await fetch(`${lb.url}/v1/games/idem-game/events?batchId=${id}&limit=100`, {
						headers: { Authorization: analystAuth },
					});
					expect(read.status).toBe(200);
					expect(((await read.json()) as ListEventsResponse).events).toHaveLength(20);
				}
			}, 60_000);

			it("(e) keeps accepting batches while Redis is down, limiting per instance, and shares again once it is back", async () => {
				const gameAuth = await fetchGameAuth(lb.url, await gameKey("redis-down-game"));
				await redis.stopServer("SIGKILL");
				try {
					const tag = `down-${randomBytes(4).toString("hex")}`;
					const answers = await Promise.all(
						Array.from({ length: 4 }, (_, i) =>
							post(
								lb.url,
								gameAuth,
								makeBatch(makeEvents(1, `${tag}-${i}`), { batchId: `${tag}-${i}` }),
								`${tag}-${i}`,
							),
						),
					);
					expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
					// Still ready (the load balancer keeps sending traffic), saying what it lacks.
					const ready = await fetch(`${instances[0]!.child.url}/readyz`);
					expect(ready.status).toBe(200);
					expect(await ready.json()).toEqual({ status: "ok", redis: "unreachable" });
					await until("a warning", () =>
						instances.some((i) =>
							i.log.some((l) => l.level === "warn" && String(l.msg).startsWith("redis unavailable")),
						)
							? true
							: undefined,
					);
				} finally {
					await redis.startServer();
				}
				await until("reconnection", () =>
					instances.every((i) => i.log.filter((l) => l.msg === "redis connected").length >= 2) ? true : undefined,
				);
				expect(await (await fetch(`${instances[0]!.child.url}/readyz`)).json()).toEqual({ status: "ok", redis: "ok" });
			}, 60_000);

			it("(f) drops on instance 2 the events of a player erased through instance 1", async () => {
				const [one, two] = instances as [Instance, Instance];
				const gameAuth = await fetchGameAuth(two.child.url, await gameKey("erase-game"));
				const tag = `erase-${randomBytes(4).toString("hex")}`;
				// Instance 2 has read the game's tombstones (none) for this batch of player 42's.
				const before = await post(
					two.child.url,
					gameAuth,
					makeBatch(makeEvents(1, `${tag}-1`), { batchId: `${tag}-1` }),
					`${tag}-1`,
				);
				expect(await before.json()).toMatchObject({ accepted: 1 });

				const requested = await fetch(`${one.child.url}/v1/games/erase-game/players/42`, {
					method: "DELETE",
					headers: { Authorization: ownerAuth },
				});
				expect(requested.status).toBe(202);
				const { id } = (await requested.json()) as { id: string };
				await until(
					"the erasure",
					async () => {
						const job = await fetch(`${one.child.url}/v1/admin/privacy/jobs/${id}`, {
							headers: { Authorization: ownerAuth },
						});
						const { status } = (await job.json()) as { status: string };
						if (status === "failed") throw new Error("the erasure failed");
						return status === "completed" ? true : undefined;
					},
					40_000,
				);

				// A spill drained late brings the erased player's events to instance 2: dropped, not stored.
				const after = await post(
					two.child.url,
					gameAuth,
					makeBatch(makeEvents(1, `${tag}-2`), { batchId: `${tag}-2` }),
					`${tag}-2`,
				);
				expect(after.status).toBe(200);
				expect(await after.json()).toMatchObject({ erased: 1 });
				const analystAuth = await adminAuth();
				const read = await fetch(`${lb.url}/v1/games/erase-game/events?limit=100`, {
					headers: { Authorization: analystAuth },
				});
				expect(((await read.json()) as ListEventsResponse).events).toEqual([]);
			}, 60_000);

			it("(d) runs each job on one instance, and on the other once the holder is killed (after the lease's TTL)", async () => {
				const holders = leaseHolders;
				const acquired = (instance: Instance, job: string) =>
					instance.log.filter((l) => l.msg === "job lease acquired" && l.job === job);

				// Each job is held, by one instance, which logged taking it; the other never did.
				const before = await holders();
				const holderId = before[0];
				expect(before).toEqual(JOBS.map(() => holderId));
				const holder = instances.find((i) => i.instanceId === holderId)!;
				const other = instances.find((i) => i !== holder)!;
				expect(holder).toBeDefined();
				for (const job of JOBS) {
					expect(acquired(holder, job)).toHaveLength(1);
					expect(acquired(other, job)).toHaveLength(0);
				}
				// Renewals keep it there.
				await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 * 1.5));
				expect(await holders()).toEqual(before);

				const killedAt = Date.now();
				await holder.child.killHard();
				await until(
					"the takeover",
					() => (JOBS.every((job) => acquired(other, job).length === 1) ? true : undefined),
					15_000,
				);
				const tookOverAfter = Date.now() - killedAt;
				// Not before the dead holder's lease ran out, and soon after (a renewal round is a third of the TTL).
				expect(tookOverAfter).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 * 0.5);
				expect(tookOverAfter).toBeLessThan(LEASE_SECONDS * 1000 + 3_000);
				expect(await holders()).toEqual(JOBS.map(() => other.instanceId));
			}, 60_000);
		},
	);
}
