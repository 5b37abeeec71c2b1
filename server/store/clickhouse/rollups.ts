// The ClickHouse rollup job: folds new events into the fact table (rollups-schema.ts) with the same pure fold as the
// SQLite warehouse (warehouse/fold.ts), so both engines' rollups mean the same: install day in the game's time zone,
// attributes from the earliest session_start, first purchase, sessions, funnels, exposures.
//
// Why a job with the pure fold rather than materialized views over events_local:
// - the semantics stay in ONE place (fold.ts). A view would re-implement them in SQL, and ClickHouse 18.16 can only
//   read JSON props with visitParam* functions, which do not tell a number from a string the way fold.ts does;
// - a local day needs the game's time zone, which is a setting (metadata store) that can change: the job reads it
//   when it folds, and refolds a game whose zone changed (as the SQLite warehouse does);
// - exactly-once: a view fires inside the events insert, so a retried insert (D's write side skips stored ids) would
//   have to be matched to the view's earlier effect. The job marks what it folded in the same atomic insert instead.
//
// The unit of folding is one player's events of one batch on one shard ("unit": game, batch, player). A unit is
// folded once: the job reads units without a marker, folds them and inserts their facts together with their markers
// in one insert (one part, all or nothing). A unit is taken only once its batch's answer is stored in the batch ledger
// (the metadata store's; D's write side stores it after every shard's insert returned, so the unit is complete), or
// once it is older than ANSWER_GRACE_MS (a batch whose answer never came: its rows are all there is). The job reads the
// units from ClickHouse and asks the ledger, in one statement per step, which of their batches are answered; batches
// found unanswered are left out of the next steps' reads until the ledger answers them (or they pass the grace). Only one folder runs across
// instances: catchUp and the timer take the lease `warehouse:clickhouse:<database>` when given one.
//
// Compaction: every fold appends delta rows, so a key (a player's day, session, …) gains a row per unit that touched
// it, and MergeTree's background merges never combine them. Now and then (#compactDue) the job, holding the fold
// lease, rewrites a shard's table with one row per key: the rows are aggregated into a staging table (CREATE … AS the
// fact table) with the same aggregate each reader applies (sum, min, max, earliest by (time, id), union of the
// variations seen), and `ALTER TABLE … REPLACE PARTITION tuple() FROM staging` swaps them in atomically (the table is
// unpartitioned: one partition; 18.16 has REPLACE PARTITION, and a query sees the old parts or the new, never both).
// Unit markers and zone rows are copied as they are, so what is folded stays marked. SummingMergeTree cannot do it:
// most kinds are minimums and earliest-by rather than sums, and OPTIMIZE … FINAL on a MergeTree merges parts but
// never rows. Nothing else writes facts while the lease is held; the swap is still skipped if the table's row count or
// mutations changed during the rewrite, or the lease could not be kept. The rewrite goes game by game and, within a
// game, by ranges of players of about rowsPerStatement rows (every key holds the player), so no statement outlives the
// client's request timeout or needs more than a small GROUP BY, at any table size. A compaction that fails is tried
// again when the shard is next due as after a compaction, not at every check.
import { randomUUID } from "node:crypto";
import type { PropValue } from "../../domain/ingest.js";
import { emptyFacts, foldEvents, type FoldEvent } from "../../warehouse/fold.js";
import type { FoldResult } from "../../domain/warehouse.js";
import { localDayFn } from "../../warehouse/time-zone.js";
import type { BatchToFold, EraseEventsOutcome, LeaseStore } from "../contracts.js";
import { command, insertRows, queryRows, sqlInt, sqlSet, sqlString, type ClickHouseShard } from "./client.js";
import type { ClickHouseContext } from "./events-store.js";
import { FACT, NONE_MAX, NONE_MIN, factTable } from "./rollups-schema.js";

/** A unit whose batch answer has not come for this long is folded anyway (its events are all there will be). */
export const ANSWER_GRACE_MS = 3_600_000;
/**
 * How long after its `received_at` a row can still be inserted: an ingest inserts within its batch claim (60 s, see
 * events-store.ts), doubled for clocks of instances that disagree. Scans start this far behind the oldest unit still
 * waiting for its answer, or behind now when none waits.
 */
export const SETTLE_MS = 120_000;
/** The scans start an hour back (ANSWER_GRACE_MS + 5 min) this often anyway: a safety net behind SETTLE_MS. */
const FULL_SCAN_EVERY_MS = 600_000;
/** Units read per shard per step; their events go into one insert. */
const STEP_UNITS = 2_000;
/** Events folded per shard per step at most (about; the last unit is taken whole). */
const STEP_EVENTS = 50_000;
/** Longest stretch a fold step computes fact rows before letting the event loop serve other work. */
const FOLD_SLICE_MS = 4;
/** Batches a step takes from the ledger's inbox. */
const LEDGER_STEP_BATCHES = 200;
/** The fold lease lasts this long unless released (an instance that died holding it blocks folding this long). */
const LEASE_TTL_MS = 60_000;
/** How long catchUp, rebuild, purge and erasure wait for another instance's fold step. */
const LEASE_WAIT_MS = 30_000;
/** Longest wait for a mutation (rebuild, erasure, purge). */
const MUTATION_TIMEOUT_MS = 300_000;
/** Queries that carry many keys. */
const LARGE_QUERY = { max_query_size: "67108864" } as const;
/** A compaction's GROUP BY spills to disk past this many bytes rather than failing on memory. */
const COMPACTION_SETTINGS = { max_bytes_before_external_group_by: "2000000000" } as const;
/** The fact table's columns, in the order every compaction SELECT gives them. */
const FACT_COLUMNS =
	"game_id, kind, user_id, batch_id, received_at, day, s1, s2, s3, s4, n1, n2, n3, n4, n5, t1, t2, t3, t4, id, props";
/** A JSON string literal inside a JSON array (exposures' s3: the variations seen, each a JSON text). */
const JSON_STRING_RE = String.raw`"(?:[^"\\]|\\.)*"`;

/** When a shard's fact table is compacted (see the top of this file). */
export interface CompactionOptions {
	/** Rows a shard's table must have gained since its last compaction. @default 100000 */
	minNewRows?: number | undefined;
	/**
	 * A table that doubled since its last compaction is compacted at once; one that gained minNewRows rows, after this
	 * long. @default 3600000 (an hour)
	 */
	maxAgeMs?: number | undefined;
	/** How often an idle fold (or a catchUp) checks whether a shard is due. @default 60000 */
	checkEveryMs?: number | undefined;
	/**
	 * About how many fact rows one compaction statement rewrites: a game's facts are taken in ranges of players of
	 * this size, so each statement stays short (under the client's request timeout) and its GROUP BY small, whatever
	 * the table's size. @default 250000
	 */
	rowsPerStatement?: number | undefined;
}

/** What one shard's compaction did. */
export interface CompactionResult {
	shard: number;
	/** Rows before and after (unit markers included), or why nothing was swapped. */
	before: number;
	after: number;
	skipped?: "changed" | "lease_lost" | "pending_mutations";
	/** The statements that rewrote the rows (a game's kinds × its ranges of players). */
	statements?: number;
}

interface UnitRow {
	game_id: string;
	batch_id: string;
	user_id: string;
	received: string;
	n: string;
}

/** What one step did; `more`: work is left (the next step runs at once). */
interface StepOut {
	events: number;
	batches: number;
	units: number;
	more: boolean;
}

interface EventRow {
	game_id: string;
	batch_id: string;
	id: string;
	user_id: string;
	session_id: string;
	type: string;
	name: string;
	time: string;
	props: string;
}

/** One row of wh_facts_local (omitted columns take their defaults: '' and 0). */
type FactRow = Record<string, string | number>;

export interface RollupJobOptions {
	/** Leases across instances (the metadata store's): the job folds on one instance at a time. @default none */
	leases?: LeaseStore | undefined;
	/** @default Date.now */
	clock?: () => number;
	/** When the fact table is compacted. @default see {@link CompactionOptions} */
	compaction?: CompactionOptions | undefined;
}

/** The fold job and the rollups' maintenance (rebuild, purge, erasure) of one ClickHouse database. */
export class ClickHouseRollups {
	readonly #ctx: ClickHouseContext;
	readonly #facts: string;
	readonly #clock: () => number;
	readonly #leases: LeaseStore | undefined;
	readonly #holder = randomUUID();
	/** Per shard: every unit received before this (unix ms) is folded (scans start here; 0 after a start or rebuild). */
	readonly #lowWater: number[];
	/** Per shard: when its water last fell back to the full hour (FULL_SCAN_EVERY_MS). */
	readonly #fullScanAt: number[];
	/** A scan of events_local has units left: the next step scans on (see #scanDue). */
	#scanning = false;
	/** The zone each game's facts were folded in, per shard (the `zone` rows as read in the current step). */
	readonly #zones: Map<string, string>[];
	/** Games refolding after a rebuild (status). */
	readonly #rebuilding = new Set<string>();
	#folded = 0;
	readonly #compaction: Required<CompactionOptions>;
	/** Per shard: its row count after its last compaction (or when first seen) and when. */
	readonly #compacted: ({ rows: number; at: number } | undefined)[];
	#compactCheckedAt = Number.NEGATIVE_INFINITY;
	/**
	 * Per shard: batches (`game NUL batch`) whose units were read before their answer was stored (an ingest in flight,
	 * or one that died), with their received time. Left out of the reads until answered or past ANSWER_GRACE_MS.
	 */
	readonly #waiting: Map<string, number>[];
	/** Serializes folding, rebuilds and erasures of this instance. */
	#queue: Promise<unknown> = Promise.resolve();

	constructor(ctx: ClickHouseContext, options: RollupJobOptions = {}) {
		this.#ctx = ctx;
		this.#facts = factTable(ctx.target.database);
		this.#clock = options.clock ?? Date.now;
		this.#leases = options.leases;
		this.#lowWater = ctx.shards.map(() => 0);
		this.#fullScanAt = ctx.shards.map(() => this.#clock());
		this.#zones = ctx.shards.map(() => new Map());
		this.#waiting = ctx.shards.map(() => new Map());
		this.#compaction = {
			minNewRows: options.compaction?.minNewRows ?? 100_000,
			maxAgeMs: options.compaction?.maxAgeMs ?? 3_600_000,
			checkEveryMs: options.compaction?.checkEveryMs ?? 60_000,
			rowsPerStatement: options.compaction?.rowsPerStatement ?? 250_000,
		};
		this.#compacted = ctx.shards.map(() => undefined);
	}

	/** Events folded by this instance since it started. */
	get foldedEvents(): number {
		return this.#folded;
	}

	get rebuildingGames(): number {
		return this.#rebuilding.size;
	}

	get #lease(): string {
		return `warehouse:clickhouse:${this.#ctx.target.database}`;
	}

	/**
	 * Runs `fn` after everything queued before it, holding the fold lease (when there are leases). `wait`: how long to
	 * wait for another instance's hold to end; undefined is returned when it did not (the timer then skips a run).
	 */
	#exclusive<T>(fn: () => Promise<T>, waitMs = LEASE_WAIT_MS): Promise<T | undefined> {
		const run = this.#queue.then(async () => {
			const leases = this.#leases;
			if (!leases) return await fn();
			const deadline = this.#clock() + waitMs;
			for (;;) {
				const now = this.#clock();
				if (await leases.acquire(this.#lease, this.#holder, now, now + LEASE_TTL_MS)) break;
				if (now >= deadline) return undefined;
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
			try {
				return await fn();
			} finally {
				await leases.release(this.#lease, this.#holder);
			}
		});
		this.#queue = run.catch(() => undefined);
		return run;
	}

	/** {@link #exclusive}, failing when another instance keeps the lease longer than LEASE_WAIT_MS. */
	async #mustExclusive<T>(fn: () => Promise<T>): Promise<T> {
		let ran = false;
		const out = await this.#exclusive(async () => {
			ran = true;
			return await fn();
		});
		if (!ran) throw new Error("the warehouse job is busy on another instance (its lease is held): try again");
		return out as T;
	}

	/** Folds every unit that is ready, step by step (each under the lease), until none is left. */
	async catchUp(): Promise<FoldResult> {
		const total: FoldResult = { events: 0, batches: 0, rebuilding: 0 };
		for (;;) {
			const out = await this.#mustExclusive(() => this.#step());
			total.events += out.events;
			total.batches += out.batches;
			if (out.units === 0) break;
		}
		this.#rebuilding.clear();
		await this.#exclusive(() => this.#compactDue(), 0);
		return total;
	}

	/** One step on every shard (the timer's unit of work); true when work is left. Skipped while another holds it. */
	async tick(): Promise<boolean> {
		const out = await this.#exclusive(() => this.#step(), 0);
		if (out && out.units === 0) {
			this.#rebuilding.clear();
			await this.#exclusive(() => this.#compactDue(), 0);
		}
		return out?.more ?? false;
	}

	/**
	 * Units (players' events of a batch) ready and not folded yet, counted as their distinct batches: a batch without
	 * its answer in the ledger (in flight, or its attempt died) is not ready until ANSWER_GRACE_MS, as the fold sees it.
	 * Any instance answers the same (the ledger is shared), the fold lease's holder or not.
	 */
	async pendingBatches(): Promise<number> {
		const now = this.#clock();
		const perShard = await Promise.all(
			this.#ctx.shards.map((shard) =>
				queryRows<{ game_id: string; batch_id: string; received: string }>(
					shard,
					`SELECT game_id, batch_id, min(received) AS received FROM (${this.#inboxSql(shard, now, true)})
					GROUP BY game_id, batch_id`,
				),
			),
		);
		const batches = new Map<string, { gameId: string; batchId: string; received: number }>();
		for (const row of perShard.flat()) {
			const key = `${row.game_id}\u0000${row.batch_id}`;
			const received = Math.min(Number(row.received), batches.get(key)?.received ?? Number.POSITIVE_INFINITY);
			batches.set(key, { gameId: row.game_id, batchId: row.batch_id, received });
		}
		const graceEnd = now - ANSWER_GRACE_MS;
		const answered = await this.#ctx.batches.answered([...batches.values()].filter((b) => b.received >= graceEnd));
		return [...batches].filter(([key, b]) => b.received < graceEnd || answered.has(key)).length;
	}

	/** The zone a game's facts are folded in (its settings' zone until something is folded). */
	async zoneOf(gameId: string): Promise<string> {
		for (const [index, shard] of this.#ctx.shards.entries()) {
			const zone = await this.#storedZone(shard, index, gameId, false);
			if (zone !== undefined) return zone;
		}
		return (await this.#ctx.settings(gameId)).timeZone;
	}

	/** Clears a game's facts; the job refolds its raw events (all of them: the scans start over). */
	rebuild(gameId: string): Promise<void> {
		return this.#mustExclusive(() => this.#clear(gameId));
	}

	/**
	 * Deletes raw events older than each game's retention (facts kept). Nothing while units wait to be folded, so no
	 * event leaves before the rollups have it.
	 */
	purge(now: number): Promise<{ gameId: string; deleted: number }[]> {
		return this.#mustExclusive(async () => {
			if ((await this.pendingBatches()) > 0) return [];
			const out: { gameId: string; deleted: number }[] = [];
			for (const settings of await this.#ctx.listSettings()) {
				if (settings.rawRetentionDays === null) continue;
				const before = now - settings.rawRetentionDays * 86_400_000;
				const where = `game_id = ${sqlString(settings.gameId)} AND time < ${sqlInt(before)}`;
				let deleted = 0;
				await Promise.all(
					this.#ctx.shards.map(async (shard) => {
						const rows = await queryRows<{ n: string }>(
							shard,
							`SELECT uniqExact(user_id, id) AS n FROM ${this.#ctx.tables.eventsLocal} WHERE ${where}`,
						);
						const n = Number(rows[0]?.n ?? 0);
						if (n === 0) return;
						await command(shard, `ALTER TABLE ${this.#ctx.tables.eventsLocal} DELETE WHERE ${where}`);
						await waitForMutations(shard, this.#ctx.target.database, "events_local");
						deleted += n;
					}),
				);
				if (deleted > 0) out.push({ gameId: settings.gameId, deleted });
			}
			return out;
		});
	}

	/**
	 * Takes a player's contribution out of every rollup: deletes their facts (every fact row names its player, game-wide
	 * sums included). Refuses while some of their events are not folded yet (the caller retries after a catch-up), so a
	 * fold cannot bring them back after the delete. The unit markers stay: the raw rows are deleted next (by the event
	 * store) and must not be folded again meanwhile.
	 */
	erasePlayer(gameId: string, pseudonym: number): Promise<EraseEventsOutcome> {
		return this.#mustExclusive(async (): Promise<EraseEventsOutcome> => {
			const where = `game_id = ${sqlString(gameId)} AND user_id = ${sqlInt(pseudonym)}`;
			const now = this.#clock();
			for (const shard of this.#ctx.shards) {
				const waiting = await queryRows<{ n: string }>(
					shard,
					`SELECT count() AS n FROM (${this.#inboxSql(shard, now, true, where)})`,
				);
				if (Number(waiting[0]?.n ?? 0) > 0) return { done: false, reason: "unfolded_events" };
			}
			let rows = 0;
			await Promise.all(
				this.#ctx.shards.map(async (shard) => {
					const condition = `${where} AND kind != ${sqlString(FACT.unit)}`;
					const counted = await queryRows<{ n: string }>(
						shard,
						`SELECT count() AS n FROM ${this.#facts} WHERE ${condition}`,
					);
					const n = Number(counted[0]?.n ?? 0);
					if (n === 0) return;
					await command(shard, `ALTER TABLE ${this.#facts} DELETE WHERE ${condition}`);
					await waitForMutations(shard, this.#ctx.target.database, "wh_facts_local");
					rows += n;
				}),
			);
			const deleted: Record<string, number> = {};
			if (rows > 0) deleted.wh_facts = rows;
			return { done: true, deleted };
		});
	}

	// ------------------------------------------------------------------------------------------------- compaction

	/**
	 * Compacts the shards that are due (at most every checkEveryMs; the caller holds the lease). A failure is logged,
	 * never thrown: the facts are as they were, and folding (or the erasure waiting on a catch-up) goes on.
	 */
	async #compactDue(): Promise<void> {
		const now = this.#clock();
		if (now - this.#compactCheckedAt < this.#compaction.checkEveryMs) return;
		this.#compactCheckedAt = now;
		const { minNewRows, maxAgeMs } = this.#compaction;
		for (const [index, shard] of this.#ctx.shards.entries()) {
			let rows: number | undefined;
			try {
				rows = (await this.#tableState(shard)).rows;
				const last = this.#compacted[index];
				// First seen: this instance does not know when it was last compacted; it counts from here (so a restart
				// does not rewrite every shard).
				if (!last) {
					this.#compacted[index] = { rows, at: now };
					continue;
				}
				const grown = rows - last.rows;
				if (grown < minNewRows || (rows < 2 * last.rows && now - last.at < maxAgeMs)) continue;
				const done = await this.#compactShard(shard);
				this.#ctx.logger?.info("warehouse facts compacted", { ...done, shard: shard.label });
			} catch (error) {
				// Not retried at the next check: the shard is due again as after a compaction (doubled, or grown and an
				// hour older), so a compaction that keeps failing costs ClickHouse one attempt per doubling or hour.
				if (rows !== undefined) this.#compacted[index] = { rows, at: now };
				this.#ctx.logger?.warn("warehouse facts not compacted", { shard: shard.label, error: String(error) });
			}
		}
	}

	/** Active rows and mutations (done or not) of the shard's fact table: what a concurrent write would change. */
	async #tableState(shard: ClickHouseShard): Promise<{ rows: number; mutations: number; pending: number }> {
		const db = sqlString(this.#ctx.target.database);
		const [parts, mutations] = await Promise.all([
			queryRows<{ n: string }>(
				shard,
				`SELECT sum(rows) AS n FROM system.parts WHERE database = ${db} AND table = 'wh_facts_local' AND active`,
			),
			queryRows<{ n: string; pending: string }>(
				shard,
				`SELECT count() AS n, countIf(is_done = 0) AS pending FROM system.mutations
				WHERE database = ${db} AND table = 'wh_facts_local'`,
			),
		]);
		return {
			rows: Number(parts[0]?.n ?? 0),
			mutations: Number(mutations[0]?.n ?? 0),
			pending: Number(mutations[0]?.pending ?? 0),
		};
	}

	/** Rewrites one shard's fact table with one row per key (see the top of this file). */
	async #compactShard(shard: ClickHouseShard): Promise<CompactionResult> {
		const before = await this.#tableState(shard);
		let statements = 0;
		const result = (after: number, skipped?: CompactionResult["skipped"]): CompactionResult => ({
			shard: shard.index,
			before: before.rows,
			after,
			...(skipped ? { skipped } : { statements }),
		});
		if (before.rows === 0) return result(0);
		if (before.pending > 0) return result(before.rows, "pending_mutations");
		const staging = `${this.#ctx.target.database}.wh_facts_compacting`;
		const lease = this.#keepLease();
		try {
			// A staging table a crashed compaction left is dropped first: it never held anything but a copy.
			await command(shard, `DROP TABLE IF EXISTS ${staging}`);
			await command(shard, `CREATE TABLE ${staging} AS ${this.#facts}`);
			// Game by game, and a game's players range by range: each statement stays short (the client's request
			// timeout) and its GROUP BY small. Every kind's key holds the player, so a range's rows compact alone.
			const games = await queryRows<{ game_id: string; n: string }>(
				shard,
				`SELECT game_id, count() AS n FROM ${this.#facts} GROUP BY game_id`,
			);
			for (const { game_id: gameId, n } of games) {
				for (const range of await this.#playerRanges(shard, gameId, Number(n))) {
					for (const select of compactionSelects(this.#facts, gameId, range)) {
						if (!(await lease.held())) return result(before.rows, "lease_lost");
						await command(shard, `INSERT INTO ${staging} (${FACT_COLUMNS}) ${select}`, COMPACTION_SETTINGS);
						statements++;
					}
				}
			}
			const now = await this.#tableState(shard);
			if (now.rows !== before.rows || now.mutations !== before.mutations) return result(before.rows, "changed");
			if (!(await lease.held())) return result(before.rows, "lease_lost");
			await command(shard, `ALTER TABLE ${this.#facts} REPLACE PARTITION tuple() FROM ${staging}`);
			const after = (await this.#tableState(shard)).rows;
			this.#compacted[shard.index] = { rows: after, at: this.#clock() };
			return result(after);
		} finally {
			await lease.stop();
			await command(shard, `DROP TABLE IF EXISTS ${staging}`);
		}
	}

	/**
	 * Ranges of player ids (as SQL conditions on user_id) that split a game's `rows` facts on the shard into parts of
	 * about rowsPerStatement rows: contiguous, together every Int64, bounded by the sampled quantiles of user_id.
	 */
	async #playerRanges(shard: ClickHouseShard, gameId: string, rows: number): Promise<string[]> {
		const parts = Math.ceil(rows / this.#compaction.rowsPerStatement);
		if (parts <= 1) return ["1"];
		const levels = Array.from({ length: parts - 1 }, (_, i) => ((i + 1) / parts).toFixed(6)).join(", ");
		const found = await queryRows<{ bounds: string[] }>(
			shard,
			`SELECT arrayMap(x -> toInt64(x), quantiles(${levels})(user_id)) AS bounds
			FROM ${this.#facts} WHERE game_id = ${sqlString(gameId)}`,
		);
		const bounds = [...new Set((found[0]?.bounds ?? []).map((b) => BigInt(b)))].sort((a, b) => (a < b ? -1 : 1));
		if (bounds.length === 0) return ["1"];
		return [
			`user_id < ${bounds[0]}`,
			...bounds.slice(1).map((hi, i) => `user_id >= ${bounds[i]} AND user_id < ${hi}`),
			`user_id >= ${bounds[bounds.length - 1]}`,
		];
	}

	/**
	 * Keeps the fold lease through a long compaction: renewed every third of its ttl. `held()` renews it once more and
	 * says whether it was never lost (without leases: always).
	 */
	#keepLease(): { held(): Promise<boolean>; stop(): Promise<void> } {
		const leases = this.#leases;
		if (!leases) return { held: () => Promise.resolve(true), stop: () => Promise.resolve() };
		let lost = false;
		let renewing: Promise<boolean> = Promise.resolve(true);
		const renew = () => {
			renewing = renewing.then(async () => {
				const now = this.#clock();
				const ok = await leases.acquire(this.#lease, this.#holder, now, now + LEASE_TTL_MS).catch(() => false);
				if (!ok) lost = true;
				return !lost;
			});
			return renewing;
		};
		const timer = setInterval(() => void renew(), LEASE_TTL_MS / 3);
		timer.unref();
		return {
			held: renew,
			// A renewal still running finishes first, so none lands after the caller released the lease.
			stop: async () => {
				clearInterval(timer);
				await renewing;
			},
		};
	}

	// ---------------------------------------------------------------------------------------------------- folding

	/**
	 * The units of this shard not folded: all of them with `unanswered`, (an erasure must wait for those still waiting
	 * for their batch's answer too), else without the batches known to wait for their answer (past ANSWER_GRACE_MS
	 * they are taken anyway). `where` narrows the events read.
	 */
	#inboxSql(shard: ClickHouseShard, now: number, unanswered: boolean, where = "1"): string {
		const low = this.#lowWater[shard.index] ?? 0;
		const waiting = unanswered ? [] : [...this.#waiting[shard.index]!.keys()];
		const ready =
			waiting.length === 0
				? "1"
				: `((game_id, batch_id) NOT IN (${waiting
						.map((key) => key.split("\u0000").map(sqlString).join(", "))
						.map((pair) => `(${pair})`)
						.join(", ")}) OR received_at < ${sqlInt(now - ANSWER_GRACE_MS)})`;
		return `SELECT game_id, batch_id, user_id, any(received_at) AS received, count() AS n
			FROM ${this.#ctx.tables.eventsLocal}
			WHERE received_at >= ${sqlInt(low)} AND ${where} AND ${ready}
			GROUP BY game_id, batch_id, user_id
			HAVING (game_id, batch_id, user_id) NOT IN (
				SELECT game_id, batch_id, user_id FROM ${this.#facts}
				WHERE kind = ${sqlString(FACT.unit)} AND received_at >= ${sqlInt(low)})`;
	}

	/**
	 * One step: from the ledger's inbox (answered batches and their players: no scan), or a scan of events_local when
	 * one is due (see {@link #scanDue}).
	 */
	async #step(): Promise<StepOut> {
		const now = this.#clock();
		// Another instance may have refolded a game since (a zone change): read the zones afresh each step.
		for (const zones of this.#zones) zones.clear();
		return this.#scanDue(now) ? await this.#scanStep(now) : await this.#ledgerStep();
	}

	/**
	 * Whether the next step scans events_local for units not folded (a full read of its received_at column: the table
	 * is ordered by player) rather than taking the ledger's inbox: after a start, a rebuild or a zone change (the
	 * water is 0), until a scan has read every unit, every FULL_SCAN_EVERY_MS (units the ledger does not name: an
	 * attempt that died before its answer, answers written without players, events copied in by `migrate --to`), and
	 * when a batch on the waiting list passes ANSWER_GRACE_MS (folded without its answer).
	 */
	#scanDue(now: number): boolean {
		if (this.#scanning || this.#lowWater.some((water) => water === 0)) return true;
		if (this.#fullScanAt.some((at) => now - at >= FULL_SCAN_EVERY_MS)) return true;
		const graceEnd = now - ANSWER_GRACE_MS;
		return this.#waiting.some((waiting) => [...waiting.values()].some((received) => received < graceEnd));
	}

	/**
	 * A step on the ledger's inbox: the oldest answered batches not folded, their units (batch × player) read on every
	 * shard without the units already marked folded (a scan may have folded them, or a step that died before
	 * markFolded), folded, and then taken out of the inbox.
	 */
	async #ledgerStep(): Promise<StepOut> {
		const inbox = await this.#ctx.batches.toFold(LEDGER_STEP_BATCHES);
		if (inbox.length === 0) return { events: 0, batches: 0, units: 0, more: false };
		if (await this.#refoldChangedZones(inbox.map((batch) => batch.gameId))) {
			return { events: 0, batches: 0, units: 1, more: true };
		}
		// Batches this instance stored whole are folded from the rows it kept (fresh-rows.ts); the others are read back.
		const kept = new Map<number, { batch: BatchToFold; players: Map<number, FoldEvent[]> }[]>();
		const readBack: BatchToFold[] = [];
		for (const batch of inbox) {
			const rows = this.#ctx.freshRows.take(batch.gameId, batch.batchId);
			if (!rows) {
				readBack.push(batch);
				continue;
			}
			for (const [shard, players] of rows) {
				let list = kept.get(shard);
				if (!list) kept.set(shard, (list = []));
				list.push({ batch, players });
			}
		}
		let events = 0;
		let units = 0;
		await Promise.all(
			this.#ctx.shards.map(async (shard, index) => {
				const found = new Map<string, UnitRow>();
				const byUnit = new Map<string, FoldEvent[]>();
				const mine = kept.get(index) ?? [];
				if (mine.length > 0) {
					const marked = await this.#markedUnits(
						shard,
						mine.flatMap(({ batch, players }) =>
							[...players.keys()].map((player) => ({ game: batch.gameId, batch: batch.batchId, player })),
						),
					);
					for (const { batch, players } of mine) {
						for (const [player, list] of players) {
							const key = `${batch.gameId}\u0000${batch.batchId}\u0000${player}`;
							if (marked.has(key)) continue;
							found.set(key, {
								game_id: batch.gameId,
								batch_id: batch.batchId,
								user_id: String(player),
								received: String(batch.receivedAt),
								n: String(list.length),
							});
							byUnit.set(key, list);
						}
					}
				}
				if (readBack.length > 0) {
					const named = readBack.flatMap((b) =>
						b.players.map((player) => ({ game: b.gameId, batch: b.batchId, player })),
					);
					const keys = unitSet(named);
					const games = [...new Set(readBack.map((b) => sqlString(b.gameId)))].join(", ");
					const players = sqlSet([{ type: "Int64", values: [...new Set(named.map((unit) => unit.player))] }]);
					// The primary keys narrow both reads to the players (game_id, user_id; game_id, kind, user_id).
					const rows = await queryRows<EventRow & { received_at: string }>(
						shard,
						`SELECT game_id, batch_id, id, user_id, session_id, type, name, time, props, received_at
						FROM ${this.#ctx.tables.eventsLocal}
						WHERE game_id IN (${games}) AND user_id IN ${players} AND (game_id, batch_id, user_id) IN ${keys}
						AND (game_id, batch_id, user_id) NOT IN (
							SELECT game_id, batch_id, user_id FROM ${this.#facts}
							WHERE game_id IN (${games}) AND kind = ${sqlString(FACT.unit)} AND user_id IN ${players}
							AND (game_id, batch_id, user_id) IN ${keys})
						ORDER BY game_id, user_id, id LIMIT 1 BY game_id, user_id, id`,
						LARGE_QUERY,
					);
					for (const row of rows) {
						const key = `${row.game_id}\u0000${row.batch_id}\u0000${row.user_id}`;
						const unit = found.get(key);
						if (!unit) {
							found.set(key, { ...row, received: row.received_at, n: "1" });
						} else {
							// The earliest attempt's time, which every scan reaches first.
							if (Number(row.received_at) < Number(unit.received)) unit.received = row.received_at;
							unit.n = String(Number(unit.n) + 1);
						}
					}
					groupEvents(rows, byUnit);
				}
				if (found.size === 0) return;
				const folded = await this.#foldUnits(shard, index, [...found.values()], byUnit);
				events += folded;
				units += found.size;
			}),
		);
		await this.#ctx.batches.markFolded(inbox);
		for (const waiting of this.#waiting) for (const b of inbox) waiting.delete(`${b.gameId}\u0000${b.batchId}`);
		this.#folded += events;
		return { events, batches: inbox.length, units, more: inbox.length === LEDGER_STEP_BATCHES };
	}

	/** Which of these units are marked folded on the shard (`game NUL batch NUL player`), by primary key. */
	async #markedUnits(
		shard: ClickHouseShard,
		units: readonly { game: string; batch: string; player: number }[],
	): Promise<Set<string>> {
		const games = [...new Set(units.map((unit) => sqlString(unit.game)))].join(", ");
		// (An alias named user_id would stand for the column in WHERE too: ClickHouse aliases are visible there.)
		const rows = await queryRows<{ game_id: string; batch_id: string; player: string }>(
			shard,
			`SELECT game_id, batch_id, toString(user_id) AS player FROM ${this.#facts}
			WHERE game_id IN (${games}) AND kind = ${sqlString(FACT.unit)}
			AND user_id IN ${sqlSet([{ type: "Int64", values: [...new Set(units.map((unit) => unit.player))] }])}
			AND (game_id, batch_id, user_id) IN ${unitSet(units)}`,
			LARGE_QUERY,
		);
		return new Set(rows.map((row) => `${row.game_id}\u0000${row.batch_id}\u0000${row.player}`));
	}

	/**
	 * A game whose zone changed is refolded from scratch first (its facts would mix two zones' days): the games given
	 * (with new units), and every game with stored settings (a zone changes without new events too). True when one
	 * was cleared (the step ends there; the scans start over).
	 */
	async #refoldChangedZones(withUnits: readonly string[]): Promise<boolean> {
		const zones = new Map((await this.#ctx.listSettings()).map((s) => [s.gameId, s.timeZone]));
		for (const gameId of new Set([...zones.keys(), ...withUnits])) {
			const zone = zones.get(gameId) ?? (await this.#ctx.settings(gameId)).timeZone;
			for (const [index, shard] of this.#ctx.shards.entries()) {
				const stored = await this.#storedZone(shard, index, gameId);
				if (stored !== undefined && stored !== zone) {
					await this.#clear(gameId);
					return true;
				}
			}
		}
		return false;
	}

	/** A step that scans events_local from each shard's water for units not marked folded. */
	async #scanStep(now: number): Promise<StepOut> {
		for (const index of this.#ctx.shards.keys()) {
			if (now - this.#fullScanAt[index]! < FULL_SCAN_EVERY_MS) continue;
			this.#fullScanAt[index] = now;
			this.#lowWater[index] = Math.min(this.#lowWater[index] ?? 0, now - ANSWER_GRACE_MS - 300_000);
		}
		await this.#recheckWaiting(now);
		const read = await Promise.all(
			this.#ctx.shards.map((shard) =>
				queryRows<UnitRow>(
					shard,
					`${this.#inboxSql(shard, now, false)} ORDER BY received, game_id, batch_id, user_id
					LIMIT ${STEP_UNITS}`,
					LARGE_QUERY,
				),
			),
		);
		const perShard = await this.#answeredUnits(read, now);
		if (await this.#refoldChangedZones(perShard.flatMap((rows) => rows.map((row) => row.game_id)))) {
			return { events: 0, batches: 0, units: 1, more: true };
		}
		let events = 0;
		const batches = new Set<string>();
		let units = 0;
		let more = false;
		await Promise.all(
			this.#ctx.shards.map(async (shard, index) => {
				const rows = perShard[index]!;
				// Up to about STEP_EVENTS events, at least one unit.
				const taken: UnitRow[] = [];
				let count = 0;
				for (const row of rows) {
					if (taken.length > 0 && count + Number(row.n) > STEP_EVENTS) break;
					taken.push(row);
					count += Number(row.n);
				}
				const left = taken.length < rows.length || read[index]!.length === STEP_UNITS;
				if (left) more = true;
				if (taken.length > 0) {
					// (`events += await …` would read `events` before the other shard's fold added to it.)
					const folded = await this.#foldUnits(shard, index, taken);
					events += folded;
					units += taken.length;
					for (const row of taken) batches.add(`${row.game_id}\u0000${row.batch_id}`);
				}
				if (!left) this.#raiseWater(index, now);
			}),
		);
		// A scan goes on step by step until it has read every unit; the steps after it take the ledger's inbox.
		this.#scanning = more;
		this.#folded += events;
		return { events, batches: batches.size, units, more };
	}

	/**
	 * The units whose batch is answered in the ledger (one statement for every shard's batches), or past the grace;
	 * the others' batches join the shard's waiting list.
	 */
	async #answeredUnits(read: UnitRow[][], now: number): Promise<UnitRow[][]> {
		const graceEnd = now - ANSWER_GRACE_MS;
		const asked = new Map<string, { gameId: string; batchId: string }>();
		for (const rows of read) {
			for (const row of rows) {
				if (Number(row.received) < graceEnd) continue;
				asked.set(`${row.game_id}\u0000${row.batch_id}`, { gameId: row.game_id, batchId: row.batch_id });
			}
		}
		const answered = await this.#ctx.batches.answered([...asked.values()]);
		return read.map((rows, index) =>
			rows.filter((row) => {
				const key = `${row.game_id}\u0000${row.batch_id}`;
				if (Number(row.received) < graceEnd || answered.has(key)) return true;
				const waiting = this.#waiting[index]!;
				waiting.set(key, Math.min(waiting.get(key) ?? Number.POSITIVE_INFINITY, Number(row.received)));
				return false;
			}),
		);
	}

	/** Batches of the waiting lists that are answered now, or past the grace, leave the lists. */
	async #recheckWaiting(now: number): Promise<void> {
		const keys = new Set(this.#waiting.flatMap((waiting) => [...waiting.keys()]));
		if (keys.size === 0) return;
		const answered = await this.#ctx.batches.answered(
			[...keys].map((key) => {
				const [gameId, batchId] = key.split("\u0000") as [string, string];
				return { gameId, batchId };
			}),
		);
		for (const waiting of this.#waiting) {
			for (const [key, received] of waiting) {
				if (answered.has(key) || received < now - ANSWER_GRACE_MS) waiting.delete(key);
			}
		}
	}

	/**
	 * Folds each unit (its events in `byUnit`, `game NUL batch NUL player`; read from the shard when not given) and
	 * inserts the facts with the units' markers in one insert. Returns the events folded.
	 */
	async #foldUnits(
		shard: ClickHouseShard,
		index: number,
		units: UnitRow[],
		given?: Map<string, FoldEvent[]>,
	): Promise<number> {
		let byUnit = given;
		if (!byUnit) {
			// `LIMIT 1 BY`: an event stored twice (the write side's one race) counts once within a step. The players
			// narrow the read by the primary key (game_id, user_id, id).
			const rows = await queryRows<EventRow>(
				shard,
				`SELECT game_id, batch_id, id, user_id, session_id, type, name, time, props
				FROM ${this.#ctx.tables.eventsLocal}
				WHERE user_id IN ${sqlSet([{ type: "Int64", values: [...new Set(units.map((u) => Number(u.user_id)))] }])}
				AND (game_id, batch_id, user_id) IN ${unitSet(
					units.map((u) => ({ game: u.game_id, batch: u.batch_id, player: Number(u.user_id) })),
				)}
				ORDER BY game_id, user_id, id LIMIT 1 BY game_id, user_id, id`,
				LARGE_QUERY,
			);
			byUnit = groupEvents(rows, new Map());
		}
		let events = 0;
		const out: FactRow[] = [];
		const zones = new Map<string, string>();
		const dayFns = new Map<string, (time: number) => number>();
		// A player's units of this step are folded together: the facts' aggregates (sums, earliest, latest, the
		// union of variations) make one fold of their events equal to the folds of each unit merged, as the readers and
		// the compaction merge them, with a row per key instead of one per unit. Their markers go in the same insert.
		const players = new Map<string, { gameId: string; userId: number; events: FoldEvent[] }>();
		for (const unit of units) {
			let zone = zones.get(unit.game_id);
			if (zone === undefined) {
				zone = (await this.#ctx.settings(unit.game_id)).timeZone;
				zones.set(unit.game_id, zone);
				dayFns.set(unit.game_id, localDayFn(zone));
				if ((await this.#storedZone(shard, index, unit.game_id)) === undefined) {
					out.push({ game_id: unit.game_id, kind: FACT.zone, s1: zone, t1: this.#clock() });
				}
			}
			const list = byUnit.get(`${unit.game_id}\u0000${unit.batch_id}\u0000${unit.user_id}`) ?? [];
			events += list.length;
			const key = `${unit.game_id}\u0000${unit.user_id}`;
			let player = players.get(key);
			if (!player) players.set(key, (player = { gameId: unit.game_id, userId: Number(unit.user_id), events: [] }));
			for (const event of list) player.events.push(event);
			out.push({
				game_id: unit.game_id,
				kind: FACT.unit,
				user_id: Number(unit.user_id),
				batch_id: unit.batch_id,
				received_at: Number(unit.received),
			});
		}
		// A step folds tens of thousands of events: in slices, so the instance's requests are served in between.
		let slice = performance.now();
		for (const { gameId, userId, events: list } of players.values()) {
			factRows(out, gameId, userId, list, dayFns.get(gameId)!);
			if (performance.now() - slice > FOLD_SLICE_MS) {
				await new Promise((resolve) => setImmediate(resolve));
				slice = performance.now();
			}
		}
		await insertRows(shard, this.#facts, out);
		for (const [gameId, zone] of zones) this.#zones[index]!.set(gameId, zone);
		return events;
	}

	/** The zone of the game's facts on a shard (`cached`: as read earlier in this step). */
	async #storedZone(shard: ClickHouseShard, index: number, gameId: string, cached = true): Promise<string | undefined> {
		const known = cached ? this.#zones[index]!.get(gameId) : undefined;
		if (known !== undefined) return known;
		const rows = await queryRows<{ zone: string; n: string }>(
			shard,
			`SELECT argMax(s1, t1) AS zone, count() AS n FROM ${this.#facts}
			WHERE game_id = ${sqlString(gameId)} AND kind = ${sqlString(FACT.zone)}`,
		);
		if (Number(rows[0]?.n ?? 0) === 0) return undefined;
		this.#zones[index]!.set(gameId, rows[0]!.zone);
		return rows[0]!.zone;
	}

	/**
	 * After a scan step that folded every ready unit of a shard: its scans may start at the oldest unit left (one
	 * waiting for its batch's answer: the read left out exactly the shard's waiting list, and took or listed every other
	 * unit) or SETTLE_MS before now, whichever is earlier (every FULL_SCAN_EVERY_MS a scan starts an hour back once
	 * more: ANSWER_GRACE_MS and 5 minutes, see #scanStep). A scan of the hour would grow with the ingest rate (at
	 * 30,000 events/s, 100M rows); a scan from the water only with the events of the last minutes.
	 */
	#raiseWater(index: number, now: number): void {
		let oldest = now;
		for (const received of this.#waiting[index]!.values()) oldest = Math.min(oldest, received);
		this.#lowWater[index] = Math.max(this.#lowWater[index] ?? 0, oldest - SETTLE_MS);
	}

	/** Deletes every fact of a game (markers and zone included) on every shard and rescans from the start. */
	async #clear(gameId: string): Promise<void> {
		await Promise.all(
			this.#ctx.shards.map(async (shard, index) => {
				await command(shard, `ALTER TABLE ${this.#facts} DELETE WHERE game_id = ${sqlString(gameId)}`);
				await waitForMutations(shard, this.#ctx.target.database, "wh_facts_local");
				this.#zones[index]!.delete(gameId);
				this.#lowWater[index] = 0;
			}),
		);
		this.#rebuilding.add(gameId);
	}
}

/**
 * The SELECTs that give one game's facts with one row per key, in {@link FACT_COLUMNS} order: each kind aggregated as
 * its readers aggregate it (metrics-reader.ts, experiment-units.ts), so every answer stays the same; the columns a kind
 * does not use keep their defaults (`any`). Unit markers, zone rows and any kind not listed here are copied as they are.
 * `players`: a condition on user_id taking a range of the players (every key holds the player: ranges compact apart).
 */
export function compactionSelects(facts: string, gameId: string, players = "1"): string[] {
	const game = sqlString(gameId);
	const k = (kind: string) => sqlString(kind);
	const sums = [FACT.userDay, FACT.eventDay, FACT.eventHour, FACT.economy, FACT.progression, FACT.product];
	const merged = [...sums, FACT.player, FACT.session, FACT.funnelStep, FACT.exposure];
	const from = (kinds: string) => `FROM ${facts} WHERE game_id = ${game} AND kind IN (${kinds}) AND (${players})`;
	const hasAttrs = "max(s1 = '1')";
	const attr = (column: string, none: string) => `if(${hasAttrs}, argMinIf(${column}, (t4, id), s1 = '1'), ${none})`;
	return [
		// Copied: what marks folded units, the zone, and kinds this code does not know.
		`SELECT ${FACT_COLUMNS} FROM ${facts}
		WHERE game_id = ${game} AND kind NOT IN (${merged.map(k).join(", ")}) AND (${players})`,
		// Sums per key (a player's day; events per name and day or hour; economy, progression and product rows).
		`SELECT game_id, kind, user_id, any(batch_id), any(received_at), day, s1, s2, s3, s4,
			sum(n1), sum(n2), sum(n3), sum(n4), sum(n5), any(t1), any(t2), any(t3), any(t4), any(id), any(props)
		${from(sums.map(k).join(", "))} GROUP BY game_id, kind, user_id, day, s1, s2, s3, s4`,
		// A player: first time and its day, latest day, first purchase, attributes of the earliest session_start.
		`SELECT game_id, kind, user_id, any(batch_id), any(received_at), argMin(day, t1), if(${hasAttrs}, '1', ''),
			any(s2), any(s3), any(s4), any(n1), any(n2), any(n3), any(n4), any(n5), min(t1), max(t2), min(t3),
			${attr("t4", `toInt64(${sqlInt(NONE_MIN)})`)}, ${attr("id", "''")}, ${attr("props", "''")}
		${from(k(FACT.player))} GROUP BY game_id, kind, user_id`,
		// A session: earliest start, latest end, the duration (max: one session_end gives it, the others -1).
		`SELECT game_id, kind, user_id, any(batch_id), any(received_at), any(day), s1, any(s2), any(s3), any(s4),
			max(n1), any(n2), any(n3), any(n4), any(n5), min(t1), max(t2), any(t3), any(t4), any(id), any(props)
		${from(k(FACT.session))} GROUP BY game_id, kind, user_id, s1`,
		// A funnel step's first arrival, earliest by (time, id), with its step name.
		`SELECT game_id, kind, user_id, any(batch_id), any(received_at), day, s1, argMin(s2, (t1, id)), any(s3),
			any(s4), any(n1), any(n2), any(n3), any(n4), any(n5), min(t1), any(t2), any(t3), any(t4),
			argMin(id, (t1, id)), any(props)
		${from(k(FACT.funnelStep))} GROUP BY game_id, kind, user_id, s1, day`,
		// An exposure: the first (by time, id) and its variation; every variation seen, as one JSON array.
		`SELECT game_id, kind, user_id, any(batch_id), any(received_at), any(day), s1, argMin(s2, (t1, id)),
			concat('[', arrayStringConcat(arraySort(groupUniqArrayArray(extractAll(s3, ${sqlString(JSON_STRING_RE)}))), ','), ']'),
			any(s4), any(n1), any(n2), any(n3), any(n4), any(n5), min(t1), any(t2), any(t3), any(t4),
			argMin(id, (t1, id)), any(props)
		${from(k(FACT.exposure))} GROUP BY game_id, kind, user_id, s1`,
	];
}

/** Appends the fact rows of one unit (one player's events) to `out`, from the pure fold. */
export function factRows(
	out: FactRow[],
	gameId: string,
	userId: number,
	events: FoldEvent[],
	dayOf: (time: number) => number,
): void {
	const facts = emptyFacts();
	foldEvents(facts, events, dayOf);
	// Each row is one object literal (no spread of a second one): a fold step makes hundreds of thousands of them.
	const game_id = gameId;
	const user_id = userId;
	for (const p of facts.players.values()) {
		const day = dayOf(p.firstTime);
		const t3 = p.firstPurchaseTime ?? NONE_MIN;
		const { attrs } = p;
		out.push(
			attrs
				? {
						game_id,
						kind: FACT.player,
						user_id,
						t1: p.firstTime,
						day,
						t2: p.maxDay,
						t3,
						s1: "1",
						t4: attrs.time,
						id: attrs.id,
						props: JSON.stringify(attrs.props),
					}
				: { game_id, kind: FACT.player, user_id, t1: p.firstTime, day, t2: p.maxDay, t3, t4: NONE_MIN },
		);
	}
	for (const d of facts.userDays.values()) {
		out.push({ game_id, kind: FACT.userDay, user_id, day: d.day, n1: d.events, n2: d.revenue, n3: d.purchases });
	}
	for (const s of facts.sessions.values()) {
		out.push({
			game_id,
			kind: FACT.session,
			user_id,
			s1: s.sessionId,
			t1: s.startTime ?? NONE_MIN,
			t2: s.endTime ?? NONE_MAX,
			n1: s.duration ?? -1,
		});
	}
	for (const e of facts.eventDays.values())
		out.push({ game_id, kind: FACT.eventDay, user_id, s1: e.type, s2: e.name, day: e.day, n1: e.events });
	for (const e of facts.eventHours.values()) {
		out.push({ game_id, kind: FACT.eventHour, user_id, s1: e.type, s2: e.name, day: e.hour, n1: e.events });
	}
	for (const e of facts.economy.values()) {
		out.push({
			game_id,
			kind: FACT.economy,
			user_id,
			day: e.day,
			s1: e.currency,
			s2: e.flow,
			s3: e.itemType,
			s4: e.itemId,
			n1: e.amount,
			n2: e.events,
		});
	}
	for (const e of facts.progression.values()) {
		out.push({
			game_id,
			kind: FACT.progression,
			user_id,
			day: e.day,
			s1: e.path,
			s2: e.status,
			n1: e.events,
			n2: e.attempts,
			n3: e.attemptsN,
			n4: e.seconds,
			n5: e.secondsN,
		});
	}
	for (const e of facts.products.values()) {
		out.push({ game_id, kind: FACT.product, user_id, day: e.day, s1: e.product, n1: e.revenue, n2: e.purchases });
	}
	for (const f of facts.funnelSteps.values()) {
		out.push({
			game_id,
			kind: FACT.funnelStep,
			user_id,
			s1: f.funnel,
			day: f.step,
			t1: f.time,
			id: f.id,
			s2: f.stepName,
		});
	}
	for (const x of facts.exposures.values()) {
		out.push({
			game_id,
			kind: FACT.exposure,
			user_id,
			s1: x.experiment,
			t1: x.time,
			id: x.id,
			s2: x.variation,
			s3: JSON.stringify([...x.variations].sort()),
		});
	}
}

/** Adds rows read from events_local to `byUnit` (`game NUL batch NUL player` → the unit's events); returns it. */
function groupEvents(rows: readonly EventRow[], byUnit: Map<string, FoldEvent[]>): Map<string, FoldEvent[]> {
	for (const row of rows) {
		const key = `${row.game_id}\u0000${row.batch_id}\u0000${row.user_id}`;
		let list = byUnit.get(key);
		if (!list) byUnit.set(key, (list = []));
		list.push({
			id: row.id,
			userId: Number(row.user_id),
			sessionId: row.session_id,
			type: row.type,
			name: row.name,
			time: Number(row.time),
			props: JSON.parse(row.props) as Record<string, PropValue>,
		});
	}
	return byUnit;
}

/** The `IN` set of units, (game_id, batch_id, user_id). */
function unitSet(units: readonly { game: string; batch: string; player: number }[]): string {
	return sqlSet([
		{ type: "String", values: units.map((unit) => unit.game) },
		{ type: "String", values: units.map((unit) => unit.batch) },
		{ type: "Int64", values: units.map((unit) => unit.player) },
	]);
}

/** Waits until no mutation of `table` is running on the shard (18.16 has no mutations_sync). */
export async function waitForMutations(shard: ClickHouseShard, database: string, table: string): Promise<void> {
	const deadline = Date.now() + MUTATION_TIMEOUT_MS;
	for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
		const rows = await queryRows<{ n: string }>(
			shard,
			`SELECT count() AS n FROM system.mutations
			WHERE database = ${sqlString(database)} AND table = ${sqlString(table)} AND is_done = 0`,
		);
		if (Number(rows[0]?.n ?? 0) === 0) return;
		if (Date.now() > deadline) {
			throw new Error(`ClickHouse shard ${shard.label}: a mutation of ${table} did not finish in time`);
		}
		await new Promise((resolve) => setTimeout(resolve, pause));
	}
}
