// The ClickHouse event engine (VANTAGE_EVENTS_URL=clickhouse://…): ingest with exactly-once, raw event reads, a
// player's events and their erasure, idempotency pruning. The warehouse (rollups, metric queries, experiment units)
// is helper E's module, wired in through {@link ClickHouseWarehouseParts}.
//
// Exactly-once is made on the write side. ReplacingMergeTree alone would only converge (duplicates until a merge that
// may never come), so ingestBatch never inserts a row it has already stored:
// (a) players are mapped to pseudonyms (the vault commits new players first);
// (b) the batch is claimed in the batch ledger (the metadata store's `batches`, shared by every instance), which in the
//     same statement gives the batch's answer if it has one → that answer (replayed; a conflict when its fingerprint
//     differs). Two instances never store one batch at once; an instance that cannot claim it asks again briefly
//     (the holder's answer, or the claim freed by a failed attempt), else answers 503 + Retry-After (the SDK retries).
//     The claim also reads each player's head (`player_heads`: at least the largest id stored for them, in byte
//     order) and raises it to the batch's largest id of that player, before anything of the batch is stored;
// (c) a player whose ids in the batch are all above their head holds none of them: not looked up. The SDK's ids are
//     time-ordered, so a new batch is cleared whole and ClickHouse is not asked anything. Each shard holding some of
//     the other players (a retry: the first attempt raised the heads; a batch sent out of order; a player without a
//     head) is asked, in one query, for their (player, event id) pairs it already holds and each one's largest id
//     (a primary-key read: from the player's smallest id in the batch on when they have a head, so not their whole
//     history): an earlier attempt's rows, or the same ids sent in another batch. A player without
//     a head gets one (that largest id, or the batch's, whichever is greater) before the insert. So a head is never
//     below an id stored for its player, whichever instance stored it: the claim that raised it committed before
//     the insert. (A player's first lookup reads all their rows; a head is created only from such a lookup, so rows
//     copied in by `migrate --to` or stored before the heads existed are covered.) Players are routed to their shards
//     (the one cityHash64(game_id, user_id) picks; players seen before from memory);
// (d) the consent events are sealed and their records appended (idempotent: one record and one tally count per event id,
//     so a record of an event stored already is a no-op) to the metadata store, beside (b): the two statements run at
//     once, and both have committed before (e);
// (e) only the new rows are inserted, straight into their shard's local table, and the insert has returned (the part is
//     written and visible) before anything is answered;
// (f) the answer is stored in the ledger, which ends the claim (one statement).
// So a new batch costs two ledger statements, the vault and an insert per shard of its players; no part besides its
// events, and usually no query (answers were rows of batches_local before: a one-row part per batch, and a read per
// shard; until the heads, every batch was looked up, reading each of its players' rows).
// A slow ingest (past half its claim's ttl) renews the claim, which also finds an answer stored meanwhile, before (e).
// A crash between (e) and (f) leaves rows without an answer: the retry finds them in (c) (the first attempt's claim
// raised the heads, so the retry is looked up) and counts them as duplicates, so every event is stored once. Reads
// still use `LIMIT 1 BY id`: one event sent in two DIFFERENT batches that two instances take at the same instant can
// be inserted twice (each batch holds its own claim). The SDK never does that
// (a retry, from any server, resends the same batchId with the same events: batch.ts), only a hand-made sender could;
// ReplacingMergeTree merges such copies eventually, and reads count one per (game, player, id) meanwhile.
// Durability: an acknowledged event is in a part on the shard's disk (written, not fsynced: ClickHouse 18.16 has no
// fsync_after_insert); a killed ClickHouse keeps it, a power cut of the shard's machine may not.
import { randomUUID } from "node:crypto";
import type { ClickHouseSettings } from "@clickhouse/client";
import { ProblemError } from "../../errors.js";
import type { ExperimentUnits, ExperimentUnitsQuery } from "../../domain/experiments.js";
import type { IngestEvent, IngestResult, PropValue, ValidatedBatch } from "../../domain/ingest.js";
import type { Logger } from "../../logger.js";
import type { ConsentSealer } from "../../domain/consent.js";
import type { AsyncPlayerPseudonyms } from "../../domain/players.js";
import type { WarehouseService } from "../../domain/warehouse.js";
import type {
	BatchClaim,
	BatchLedger,
	ConsentRecordInsert,
	EraseEventsOutcome,
	EventStore,
	PlayerIds,
} from "../contracts.js";
import type {
	ExperimentMetricQuery,
	ExperimentMetricRow,
	GameSettings,
	IngestOutcome,
	ListEventsQuery,
	StoredEvent,
} from "../types.js";
import { FreshRows, type FreshBatch } from "./fresh-rows.js";
import {
	ClickHouseUnreachableError,
	closeShards,
	command,
	InsertGroups,
	pingShards,
	queryRows,
	sqlInt,
	sqlSet,
	sqlString,
	type ClickHouseShard,
} from "./client.js";
import { tableNames, type TableNames } from "./schema.js";
import type { ClickHouseTarget } from "./url.js";

/** How long a batch another instance holds is asked for again (its answer, or its claim freed) before a 503. */
const DEFAULT_CLAIM_WAIT_MS = 2_000;
/**
 * How long a claim holds. An ingest past half of it renews the claim before inserting, and a ClickHouse request times
 * out well within the other half (client.ts: 20 s), so a claim never lapses while its rows are being inserted; an
 * instance that dies holding one delays that batch's retries this long at most.
 */
const DEFAULT_CLAIM_TTL_MS = 60_000;
/**
 * Player routes kept in memory: about 100 bytes each, 25 MB at most (about the players of a 100,000-player game over
 * an hour). When full the map is emptied: batches then ask ClickHouse again until their players are known.
 */
const ROUTES_CACHED = 250_000;
/**
 * How long a batch's events insert waits for other batches' rows when other batches are being stored on this instance
 * (InsertGroups' linger): they then share one insert per shard. Measured (bench scale, 4 clients, 500-event batches):
 * 16,188 → 19,411 events/s on one server and 10,523 → 12,853 on two shards at 8 ms, with less ClickHouse CPU per event
 * and lower latency (the machine's two cores were saturated; fewer parts cost less to write, merge and look up).
 */
const INSERT_LINGER_MS = 10;
/** Retry-After of a batch another instance is storing, or of an unreachable shard. */
const RETRY_AFTER_SECONDS = 2;
/** Longest wait for a shard's mutations (an erasure) to finish. */
const MUTATION_TIMEOUT_MS = 300_000;
/** Queries that carry a batch's ids: ClickHouse parses at most max_query_size bytes of SQL (256 KiB by default). */
const LARGE_QUERY: ClickHouseSettings = { max_query_size: "67108864" };

/**
 * 503 with Retry-After: the events cannot be stored right now (another instance is storing the same batch, or a
 * ClickHouse shard is unreachable); nothing was acknowledged, so a retry is safe.
 */
export class EventsUnavailableError extends ProblemError {
	override readonly name = "EventsUnavailableError";
	constructor(detail: string, retryAfterSeconds = RETRY_AFTER_SECONDS) {
		const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
		super(
			503,
			"unavailable",
			"Service unavailable",
			detail,
			{ retryAfterSeconds: seconds },
			{ "Retry-After": String(seconds) },
		);
	}
}

/** Everything the warehouse module (helper E) needs to run its queries on the same shards. */
export interface ClickHouseContext {
	target: ClickHouseTarget;
	shards: readonly ClickHouseShard[];
	tables: TableNames;
	players: AsyncPlayerPseudonyms;
	/** The batch ledger: the rollup job folds a batch's rows once its answer is stored there. */
	batches: BatchLedger;
	/** Rows this instance stored whole, kept for its rollup job (fresh-rows.ts). */
	freshRows: FreshRows;
	settings: (gameId: string) => Promise<GameSettings>;
	listSettings: () => Promise<GameSettings[]>;
	logger?: Logger | undefined;
}

/** What the warehouse module gives the event store. */
export interface ClickHouseWarehouseParts {
	/** Metric queries, experiment sums and units (player ids already mapped to pseudonyms), the rollup job. */
	warehouse: WarehouseService;
	/**
	 * Takes a player's contribution out of the rollups, before their raw rows are deleted (it may read them); `pseudonym`
	 * is the player's id as the rows hold it. A refusal (`done: false`) stops the erasure, which is retried later.
	 */
	erasePlayer?(gameId: string, pseudonym: number, at: number): Promise<EraseEventsOutcome>;
}

/** The consent ledger's side of ingest: sealing and the metadata store's idempotent append. */
export interface ClickHouseConsent {
	sealer: ConsentSealer;
	appendRecords(records: readonly ConsentRecordInsert[]): Promise<number>;
}

export interface ClickHouseEventStoreOptions {
	target: ClickHouseTarget;
	shards: ClickHouseShard[];
	players: AsyncPlayerPseudonyms;
	/** Without it consent events are refused (never stored unsealed). @default none */
	consent?: ClickHouseConsent | undefined;
	settings: (gameId: string) => Promise<GameSettings>;
	listSettings: () => Promise<GameSettings[]>;
	/** The claims and answers of batches, shared by every instance (the metadata store's ledger). */
	batches: BatchLedger;
	/**
	 * Makes the warehouse on the same shards (helper E's module; openClickHouseEvents passes it). @default none: the
	 * store ingests and reads raw events, and refuses warehouse calls ({@link NoWarehouseError})
	 */
	warehouse?: ((context: ClickHouseContext) => ClickHouseWarehouseParts) | undefined;
	/** This instance's name in claims. @default a random UUID */
	instanceId?: string | undefined;
	/** How long a batch claim holds (see DEFAULT_CLAIM_TTL_MS). @default 60000 */
	claimTtlMs?: number | undefined;
	/** How long a batch claimed by another instance is waited for. @default 2000 */
	claimWaitMs?: number | undefined;
	logger?: Logger | undefined;
	/** Fault injection for tests (a crash between the insert and the stored answer). @default none */
	testHooks?: ClickHouseTestHooks | undefined;
}

export interface ClickHouseTestHooks {
	/** Runs when the rows to insert are known, before the claim's check and the insert (a slow instance). */
	beforeInsert?(gameId: string, batchId: string): void | Promise<void>;
	/** Runs after the batch's rows are inserted, before its answer is stored; a throw stops the ingest there. */
	afterInsert?(gameId: string, batchId: string): void | Promise<void>;
	/** Told how many of the batch's events were looked up in ClickHouse (0: the heads cleared all of them). */
	lookedUp?(gameId: string, batchId: string, events: number): void;
}

/** Thrown by the warehouse calls of a store opened without a warehouse. */
export class NoWarehouseError extends Error {
	override readonly name = "NoWarehouseError";
	constructor() {
		super("This ClickHouse event store was opened without its warehouse: it cannot answer metric queries.");
	}
}

/**
 * The warehouse of a store opened without one (a tool that only moves raw events): refuses every query, as a store
 * opened without the player vault refuses player ids; closing it is a no-op.
 */
function noWarehouse(): ClickHouseWarehouseParts {
	const refuse = () => Promise.reject(new NoWarehouseError());
	return {
		warehouse: {
			metric: refuse,
			experimentMetricSums: refuse,
			experimentUnits: refuse,
			eventNames: refuse,
			catchUp: refuse,
			rebuild: refuse,
			purge: refuse,
			status: refuse,
			close: () => Promise.resolve(),
		},
	};
}

/** The answer of a batch stored before, as SQLite gives it (conflict: same batchId, other events). */
function replayOf(seen: { response: string; fingerprint: string }, batch: ValidatedBatch): IngestOutcome {
	// '' is "no fingerprint" (SQLite's NULL): a batch stored without one never conflicts.
	const conflict = seen.fingerprint !== "" && batch.fingerprint !== undefined && seen.fingerprint !== batch.fingerprint;
	return { result: JSON.parse(seen.response) as IngestResult, replayed: true, ...(conflict ? { conflict } : {}) };
}

interface EventRow {
	game_id: string;
	id: string;
	batch_id: string;
	user_id: string | number;
	session_id: string;
	type: string;
	name: string;
	time: string | number;
	received_at: string | number;
	props: string;
}

const EVENT_SELECT = "game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props";

/** The ClickHouse {@link EventStore}. Open it with openClickHouseEvents (index.ts). */
export class ClickHouseEventStore implements EventStore {
	readonly warehouse: WarehouseService;
	readonly #options: ClickHouseEventStoreOptions;
	readonly #shards: ClickHouseShard[];
	readonly #tables: TableNames;
	readonly #players: AsyncPlayerPseudonyms;
	readonly #parts: ClickHouseWarehouseParts;
	readonly #holder: string;
	/** Concurrent batches' rows share inserts (group commit, client.ts). */
	readonly #inserts = new InsertGroups();
	/**
	 * The shard of each player seen (`game NUL pseudonym` → shard): a pseudonym's shard never changes, so a batch of
	 * known players is routed without asking ClickHouse. Bounded: emptied when full (the next batches ask again).
	 */
	readonly #routes = new Map<string, number>();
	/** Batches being stored by this instance now (their inserts linger for each other when there are several). */
	#storing = 0;
	/** Batches this instance stored whole, until its rollup job folds them (or they age out). */
	readonly #freshRows = new FreshRows();
	#closed = false;

	constructor(options: ClickHouseEventStoreOptions) {
		this.#options = options;
		this.#shards = options.shards;
		this.#tables = tableNames(options.target);
		this.#players = options.players;
		this.#holder = options.instanceId ?? randomUUID();
		this.#parts = (options.warehouse ?? noWarehouse)({
			target: options.target,
			shards: options.shards,
			tables: this.#tables,
			players: options.players,
			batches: options.batches,
			freshRows: this.#freshRows,
			settings: options.settings,
			listSettings: options.listSettings,
			logger: options.logger,
		});
		this.warehouse = this.#parts.warehouse;
	}

	/** The shards, in cluster order (tests and the warehouse). */
	get shards(): readonly ClickHouseShard[] {
		return this.#shards;
	}

	get tables(): TableNames {
		return this.#tables;
	}

	async ping(): Promise<void> {
		this.#checkOpen();
		await pingShards(this.#shards);
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		try {
			await this.warehouse.close();
		} finally {
			await closeShards(this.#shards);
		}
	}

	// ------------------------------------------------------------------------------------------------------- ingest

	async ingestBatch(gameId: string, batch: ValidatedBatch, receivedAt: number): Promise<IngestOutcome> {
		this.#checkOpen();
		const holder = `${this.#holder}:${randomUUID()}`;
		const ttl = this.#options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
		// (b) first: the claim reads and raises the players' heads (pseudonyms).
		const pseudonyms = await this.#players.pseudonymize(
			gameId,
			batch.events.map((event) => event.userId),
			receivedAt,
		);
		const ids = playerIds(batch.events, pseudonyms);
		const claim = { holder, ttl, at: Date.now(), ids: ids.ranges };
		// (d) beside (b): the records are idempotent, so they may be appended before the claim says whether this
		// attempt stores the batch (a replay's or another instance's events have theirs already, or get the same).
		const consent = this.#recordConsent(gameId, batch, pseudonyms, receivedAt);
		// Settled below on every path; this only keeps a failure from being reported as unhandled meanwhile.
		consent.catch(() => undefined);
		let taken: BatchClaim;
		try {
			taken = await this.#claim(gameId, batch.batchId, holder, ttl, ids.ranges);
			if (taken.answer) return replayOf(taken.answer, batch);
			if (!taken.claimed) {
				const other = await this.#awaitOtherInstance(gameId, batch, holder, ttl, ids.ranges);
				if (other.answer) return replayOf(other.answer, batch);
				taken = other;
				claim.at = Date.now();
			}
		} finally {
			// Not claimed (a replay, another holder, an error): the records' statement still ends before the request.
			await consent.catch(() => undefined);
		}
		const known: { clear?: number[] | undefined; headless?: number[] | undefined } = taken.claimed ? taken : {};
		const headless = new Set(known.headless);
		const heads: Heads = {
			// A player with an id ClickHouse may not give back as sent (a lone surrogate) is always looked up.
			clear: new Set((known.clear ?? []).filter((player) => !ids.irregular.has(player))),
			headless: ids.ranges.filter((range) => headless.has(range.player)),
			from: new Map(
				ids.ranges
					.filter((range) => !headless.has(range.player) && !ids.irregular.has(range.player))
					.map((range) => [range.player, range.lo]),
			),
		};
		this.#storing++;
		try {
			return await this.#store(gameId, batch, receivedAt, claim, pseudonyms, heads, await consent);
		} catch (error) {
			// A failed batch is retried soon (503): its claim is free before the answer says so.
			await this.#release(gameId, batch.batchId, holder);
			throw error;
		} finally {
			this.#storing--;
		}
	}

	/** Gives up a failed attempt's claim; if that fails too, the claim lapses after its ttl (a retry waits that long). */
	async #release(gameId: string, batchId: string, holder: string): Promise<void> {
		try {
			await this.#options.batches.release(gameId, batchId, holder);
		} catch (error) {
			this.#options.logger?.warn("batch claim not released", { gameId, error: String(error) });
		}
	}

	/** Claims the batch (or finds its answer); the metadata store unreachable (a restart) is a 503: nothing was stored. */
	async #claim(
		gameId: string,
		batchId: string,
		holder: string,
		ttl: number,
		ids: readonly PlayerIds[],
	): Promise<BatchClaim> {
		try {
			const now = Date.now();
			return await this.#options.batches.claim(gameId, batchId, holder, now, now + ttl, ids);
		} catch (error) {
			this.#options.logger?.warn("batch claim failed", { gameId, error: String(error) });
			throw new EventsUnavailableError("The event store cannot claim the batch now (metadata store unavailable).");
		}
	}

	/**
	 * Another instance holds the batch: its answer usually comes within milliseconds. Asked again with growing pauses:
	 * the answer, or the claim ours (a failed attempt freed it, or it lapsed); else the client retries after a 503.
	 */
	async #awaitOtherInstance(
		gameId: string,
		batch: ValidatedBatch,
		holder: string,
		ttl: number,
		ids: readonly PlayerIds[],
	): Promise<BatchClaim> {
		const deadline = Date.now() + (this.#options.claimWaitMs ?? DEFAULT_CLAIM_WAIT_MS);
		for (let pause = 25; Date.now() < deadline; pause = Math.min(pause * 2, 250)) {
			await new Promise((resolve) => setTimeout(resolve, pause));
			const again = await this.#claim(gameId, batch.batchId, holder, ttl, ids);
			if (again.answer || again.claimed) return again;
		}
		throw new EventsUnavailableError(
			`Batch "${batch.batchId}" is being stored by another request; retry it shortly (the same batchId).`,
		);
	}

	/**
	 * Step (d): the batch's consent events (each id once, its first occurrence, as (c) keeps it) sealed, and their records
	 * appended before any of them is stored, so a crash in between leaves a record whose event the retry stores, never
	 * an event whose record is lost. Every consent event of the batch gets its record here, stored already or not: the
	 * append is idempotent (a record exists once per event id, and only records added are tallied), so an event stored
	 * earlier keeps its record and its count. Answers the sealed props of each event, for its row.
	 */
	async #recordConsent(
		gameId: string,
		batch: ValidatedBatch,
		pseudonyms: ReadonlyMap<number, number>,
		receivedAt: number,
	): Promise<Map<IngestEvent, SealedProps>> {
		const props = new Map<IngestEvent, SealedProps>();
		const seen = new Set<string>();
		const consent: IngestEvent[] = [];
		for (const event of batch.events) {
			if (seen.has(event.id)) continue;
			seen.add(event.id);
			if (event.type === "consent") consent.push(event);
		}
		if (consent.length === 0) return props;
		const sealer = this.#options.consent?.sealer;
		if (!sealer) throw new Error("This store was opened without a consent sealer: it cannot record consent events.");
		await sealer.prepare(gameId, consent, receivedAt);
		const records: ConsentRecordInsert[] = [];
		for (const event of consent) {
			const sealed = sealer.seal(gameId, event, receivedAt);
			props.set(event, { json: JSON.stringify(sealed.storedProps), value: sealed.storedProps });
			records.push({
				gameId,
				eventId: event.id,
				userId: pseudonyms.get(event.userId)!,
				time: event.time,
				receivedAt,
				policyVersion: sealed.policyVersion,
				details: sealed.details,
				tally: sealed.tally,
			});
		}
		await this.#options.consent!.appendRecords(records);
		return props;
	}

	/** Steps (b) to (f) of the top of this file, under the batch's claim. */
	async #store(
		gameId: string,
		batch: ValidatedBatch,
		receivedAt: number,
		claim: { holder: string; ttl: number; at: number; ids: readonly PlayerIds[] },
		pseudonyms: ReadonlyMap<number, number>,
		heads: Heads,
		props: ReadonlyMap<IngestEvent, SealedProps>,
	): Promise<IngestOutcome> {
		// (b) and (c): the players are mapped, then each shard is asked in one query for the events it holds.
		const { route, fresh, players, whole } = await this.#lookUp(gameId, batch, pseudonyms, heads);

		await this.#options.testHooks?.beforeInsert?.(gameId, batch.batchId);
		// A slow batch (half its claim gone) renews the claim before it inserts; if the claim lapsed meanwhile and another
		// instance stored the batch, the renewal finds its answer and nothing is inserted twice.
		if (Date.now() - claim.at > claim.ttl / 2) {
			const renewed = await this.#claim(gameId, batch.batchId, claim.holder, claim.ttl, claim.ids);
			if (renewed.answer) return replayOf(renewed.answer, batch);
			if (!renewed.claimed) {
				throw new EventsUnavailableError(`Batch "${batch.batchId}" took too long and was taken over; retry it.`);
			}
		}

		const byShard = new Map<number, object[]>();
		// The same rows as the rollup job would read back, for a batch stored whole (fresh-rows.ts): by shard and player.
		let foldable: FreshBatch | undefined = whole ? new Map() : undefined;
		for (const { event, player } of fresh) {
			const shard = route.get(player)!;
			let rows = byShard.get(shard);
			if (!rows) byShard.set(shard, (rows = []));
			const sealed = props.get(event);
			const json = sealed?.json ?? JSON.stringify(event.props);
			rows.push({
				game_id: gameId,
				id: event.id,
				batch_id: batch.batchId,
				user_id: player,
				session_id: event.sessionId,
				type: event.type,
				name: event.name,
				time: event.time,
				received_at: receivedAt,
				props: json,
			});
			if (!foldable) continue;
			// Text ClickHouse might not give back as it came (a lone surrogate): that batch is read back instead.
			if (!roundTrips(event, json)) {
				foldable = undefined;
				continue;
			}
			let players = foldable.get(shard);
			if (!players) foldable.set(shard, (players = new Map()));
			let list = players.get(player);
			if (!list) players.set(player, (list = []));
			list.push({
				id: event.id,
				userId: player,
				sessionId: event.sessionId,
				type: event.type,
				name: event.name,
				time: event.time,
				props: sealed?.value ?? event.props,
			});
		}
		// Other batches in flight here will want the same shards soon: their rows join this insert (group commit).
		const linger = this.#storing > 1 ? INSERT_LINGER_MS : 0;
		await Promise.all(
			[...byShard].map(([index, rows]) =>
				this.#on(this.#shards[index]!, "storing events", (shard) =>
					this.#inserts.insert(shard, this.#tables.eventsLocal, rows, linger),
				),
			),
		);
		await this.#options.testHooks?.afterInsert?.(gameId, batch.batchId);
		if (foldable) this.#freshRows.put(gameId, batch.batchId, foldable);

		const result: IngestResult = {
			accepted: fresh.length,
			duplicates: batch.events.length - fresh.length,
			rejected: batch.rejected,
		};
		try {
			// The batch's players (also those whose events an earlier attempt stored) go to the rollup job's inbox.
			await this.#options.batches.answer(
				gameId,
				batch.batchId,
				{ response: JSON.stringify(result), fingerprint: batch.fingerprint ?? "", receivedAt },
				players,
			);
		} catch (error) {
			// The events are stored: a retry finds them and answers them as duplicates.
			this.#options.logger?.warn("batch answer not stored", { gameId, error: String(error) });
			throw new EventsUnavailableError(
				"The event store cannot store the batch's answer now (metadata store unavailable).",
			);
		}
		return { result, replayed: false };
	}

	/**
	 * Step (c): the events not stored yet (an id seen earlier in the same batch is a duplicate too, as SQLite's (game_id,
	 * id) key makes it). A player whose head is below all of their ids in the batch (`heads.clear`) holds none of them:
	 * no question to ClickHouse. The others' events are asked of the shard holding them (one query per shard), which
	 * also gives the largest id stored for each player; the players without a head get one (that, or the batch's
	 * largest, whichever is greater) before anything is inserted.
	 */
	async #lookUp(
		gameId: string,
		batch: ValidatedBatch,
		pseudonyms: ReadonlyMap<number, number>,
		heads: Heads,
	): Promise<{
		route: Map<number, number>;
		fresh: { event: IngestEvent; player: number }[];
		players: number[];
		/** None of the batch's events was stored before: this attempt stores all of it. */
		whole: boolean;
	}> {
		const candidates: { event: IngestEvent; player: number }[] = [];
		const inBatch = new Set<string>();
		for (const event of batch.events) {
			if (inBatch.has(event.id)) continue;
			inBatch.add(event.id);
			candidates.push({ event, player: pseudonyms.get(event.userId)! });
		}
		if (candidates.length === 0) return { route: new Map(), fresh: [], players: [], whole: false };
		// Routed first (from memory once the players are known): each shard is asked only of its own players' events,
		// where a resent event would be (the sharding key places a player's events on one shard).
		const players = [...new Set(pseudonyms.values())];
		const route = await this.#route(gameId, players);
		const byShard = new Map<number, { event: IngestEvent; player: number }[]>();
		for (const candidate of candidates) {
			if (heads.clear.has(candidate.player)) continue;
			const shard = route.get(candidate.player)!;
			let list = byShard.get(shard);
			if (!list) byShard.set(shard, (list = []));
			list.push(candidate);
		}
		this.#options.testHooks?.lookedUp?.(
			gameId,
			batch.batchId,
			[...byShard.values()].reduce((n, list) => n + list.length, 0),
		);
		const asked = await Promise.all(
			[...byShard].map(([index, list]) => this.#storedIds(this.#shards[index]!, gameId, list, heads.from)),
		);
		const existing = new Set(asked.flatMap((answer) => answer.held));
		if (heads.headless.length > 0) {
			const tops = new Map(asked.flatMap((answer) => [...answer.tops]));
			await this.#options.batches.raiseHeads(
				gameId,
				heads.headless.map(({ player, hi }) => {
					const top = tops.get(player);
					return { player, hi: top !== undefined && compareBytes(top, hi) > 0 ? top : hi };
				}),
			);
		}
		return {
			route,
			fresh: candidates.filter((candidate) => !existing.has(`${candidate.player}\u0000${candidate.event.id}`)),
			players,
			whole: existing.size === 0,
		};
	}

	/**
	 * The shard of each player: `cityHash64(game_id, pseudonym) % shards`, computed by ClickHouse itself (the
	 * Distributed table's sharding key, schema.ts), so rows written straight to a local table sit where a Distributed
	 * insert would have put them. Players seen before are routed from memory; the others in one query.
	 */
	async #route(gameId: string, players: readonly number[]): Promise<Map<number, number>> {
		const count = this.#shards.length;
		if (count === 1) return new Map(players.map((player) => [player, 0]));
		const route = new Map<number, number>();
		const unknown: number[] = [];
		for (const player of players) {
			const shard = this.#routes.get(`${gameId}\u0000${player}`);
			if (shard === undefined) unknown.push(player);
			else route.set(player, shard);
		}
		if (unknown.length === 0) return route;
		const game = sqlString(gameId);
		const [row] = await this.#on(this.#shards[0]!, "routing the batch", (shard) =>
			queryRows<{ shards: string[] }>(
				shard,
				`SELECT arrayMap(u -> cityHash64(${game}, u) % ${count},
					CAST([${unknown.map(sqlInt).join(",")}] AS Array(Int64))) AS shards`,
				LARGE_QUERY,
			),
		);
		if (this.#routes.size + unknown.length > ROUTES_CACHED) this.#routes.clear();
		for (const [i, player] of unknown.entries()) {
			const shard = Number(row!.shards[i]);
			route.set(player, shard);
			this.#routes.set(`${gameId}\u0000${player}`, shard);
		}
		return route;
	}

	/**
	 * Of the candidates (the shard's players' events): the `player NUL id` keys it already stores, and the largest id it
	 * stores for each of their players (where a head starts). Read by primary-key prefix (game_id, user_id): a player in
	 * `from` from their smallest id in the batch on (the largest id found is then theirs only from there), the others
	 * whole.
	 */
	async #storedIds(
		shard: ClickHouseShard,
		gameId: string,
		candidates: readonly { event: IngestEvent; player: number }[],
		from: ReadonlyMap<number, string>,
	): Promise<{ held: string[]; tops: Map<number, string> }> {
		const players = [...new Set(candidates.map((candidate) => candidate.player))];
		const whole = players.filter((player) => !from.has(player));
		const where = players
			.filter((player) => from.has(player))
			.map((player) => `(user_id = ${sqlInt(player)} AND id >= ${sqlString(from.get(player)!)})`);
		if (whole.length > 0) where.push(`user_id IN ${sqlSet([{ type: "Int64", values: whole }])}`);
		const ids = sqlSet([{ type: "String", values: candidates.map((candidate) => candidate.event.id) }]);
		const rows = await this.#on(shard, "looking up the batch", (s) =>
			queryRows<{ player: string; top: string; held: string[] }>(
				s,
				`SELECT toString(user_id) AS player, max(id) AS top, groupUniqArrayIf(id, id IN ${ids}) AS held
				FROM ${this.#tables.eventsLocal}
				WHERE game_id = ${sqlString(gameId)} AND (${where.join(" OR ")}) GROUP BY user_id`,
				LARGE_QUERY,
			),
		);
		const held: string[] = [];
		const tops = new Map<number, string>();
		for (const row of rows) {
			const player = Number(row.player);
			tops.set(player, row.top);
			for (const id of row.held) held.push(`${player}\u0000${id}`);
		}
		return { held, tops };
	}

	// -------------------------------------------------------------------------------------------------------- reads

	/**
	 * Events of one game in id order. Each shard is read by its local table (`ORDER BY id LIMIT 1 BY id LIMIT n`, so a
	 * copy not merged away yet shows once) and the pages are merged by id; rows of players the vault no longer knows
	 * (erased) are left out and the page is read on to its limit, as on SQLite.
	 */
	async listEvents(query: ListEventsQuery): Promise<StoredEvent[]> {
		this.#checkOpen();
		let pseudonym: number | undefined;
		if (query.userId !== undefined) {
			pseudonym = await this.#players.pseudonymOf(query.gameId, query.userId);
			if (pseudonym === undefined) return [];
		}
		const where = [`game_id = ${sqlString(query.gameId)}`];
		if (pseudonym !== undefined) where.push(`user_id = ${sqlInt(pseudonym)}`);
		if (query.batchId !== undefined) where.push(`batch_id = ${sqlString(query.batchId)}`);
		if (query.type !== undefined) where.push(`type = ${sqlString(query.type)}`);
		if (query.name !== undefined) where.push(`name = ${sqlString(query.name)}`);
		if (query.from !== undefined) where.push(`time >= ${sqlInt(query.from)}`);
		if (query.to !== undefined) where.push(`time < ${sqlInt(query.to)}`);

		const userIds = new Map<number, number | undefined>();
		const out: StoredEvent[] = [];
		let after = query.after;
		for (;;) {
			const limit = query.limit - out.length;
			const terms = after === undefined ? where : [...where, `id > ${sqlString(after)}`];
			// 1. the page's keys: only the id and filter columns are read (and sorted), not every event's props;
			const keyPages = await Promise.all(
				this.#shards.map(async (shard) => {
					const keys = await this.#on(shard, "reading events", (s) =>
						queryRows<{ id: string; user_id: string }>(
							s,
							`SELECT id, user_id FROM ${this.#tables.eventsLocal} WHERE ${terms.join(" AND ")}
							ORDER BY id LIMIT 1 BY id LIMIT ${sqlInt(limit)}`,
						),
					);
					return keys.map((key) => ({ id: key.id, player: Number(key.user_id), shard: shard.index }));
				}),
			);
			const keys = mergeById(keyPages).slice(0, limit);
			// 2. players the vault no longer knows (erased) are left out;
			const live: typeof keys = [];
			for (const key of keys) {
				if (!userIds.has(key.player)) userIds.set(key.player, await this.#players.userIdOf(query.gameId, key.player));
				if (userIds.get(key.player) !== undefined) live.push(key);
			}
			// 3. the rows themselves, by primary-key prefix (game_id, user_id) on their shards.
			const rows = await this.#rowsByKey(query.gameId, live);
			for (const row of rows) out.push(toStoredEvent(row, userIds.get(Number(row.user_id))!));
			if (keys.length < limit || out.length >= query.limit) return out;
			after = keys.at(-1)!.id;
		}
	}

	/** The rows of these keys (in id order), each read on its shard. */
	async #rowsByKey(
		gameId: string,
		keys: readonly { id: string; player: number; shard: number }[],
	): Promise<EventRow[]> {
		const byShard = new Map<number, { players: Set<number>; ids: Set<string> }>();
		for (const { id, player, shard } of keys) {
			let set = byShard.get(shard);
			if (!set) byShard.set(shard, (set = { players: new Set(), ids: new Set() }));
			set.players.add(player);
			set.ids.add(id);
		}
		const wanted = new Set(keys.map((key) => `${key.player}\u0000${key.id}`));
		const pages = await Promise.all(
			[...byShard].map(async ([index, set]) => {
				const rows = await this.#on(this.#shards[index]!, "reading events", (s) =>
					queryRows<EventRow>(
						s,
						`SELECT ${EVENT_SELECT} FROM ${this.#tables.eventsLocal}
						WHERE game_id = ${sqlString(gameId)} AND user_id IN ${sqlSet([{ type: "Int64", values: [...set.players] }])}
							AND id IN ${sqlSet([{ type: "String", values: [...set.ids] }])}
						ORDER BY id LIMIT 1 BY id`,
						LARGE_QUERY,
					),
				);
				return rows.filter((row) => wanted.has(`${Number(row.user_id)}\u0000${row.id}`));
			}),
		);
		return mergeById(pages);
	}

	async playerEvents(gameId: string, userId: number): Promise<StoredEvent[]> {
		this.#checkOpen();
		const pseudonym = await this.#players.pseudonymOf(gameId, userId);
		if (pseudonym === undefined) return [];
		const pages = await Promise.all(
			this.#shards.map((shard) =>
				this.#on(shard, "reading a player's events", (s) =>
					queryRows<EventRow>(
						s,
						`SELECT ${EVENT_SELECT} FROM ${this.#tables.eventsLocal}
						WHERE game_id = ${sqlString(gameId)} AND user_id = ${sqlInt(pseudonym)}
						ORDER BY id LIMIT 1 BY id`,
					),
				),
			),
		);
		return mergeById(pages).map((row) => toStoredEvent(row, userId));
	}

	// ------------------------------------------------------------------------------------------------------ erasure

	/**
	 * 1. the warehouse takes the player's contribution out of the rollups (it may refuse: rollups behind);
	 * 2. on each shard holding rows of the player (their one shard, by the sharding key), an `ALTER TABLE … DELETE`
	 *    mutation removes them; it is waited for until system.mutations shows it done, and the rows are counted gone.
	 * Idempotent: a player without rows (or unknown to the vault) deletes nothing.
	 */
	async erasePlayerEvents(gameId: string, userId: number, at: number): Promise<EraseEventsOutcome> {
		this.#checkOpen();
		const pseudonym = await this.#players.pseudonymOf(gameId, userId);
		if (pseudonym === undefined) return { done: true, deleted: {} };
		const deleted: Record<string, number> = {};
		if (this.#parts.erasePlayer) {
			const outcome = await this.#parts.erasePlayer(gameId, pseudonym, at);
			if (!outcome.done) return outcome;
			Object.assign(deleted, outcome.deleted);
		}
		const where = `game_id = ${sqlString(gameId)} AND user_id = ${sqlInt(pseudonym)}`;
		const counts = await Promise.all(
			this.#shards.map(async (shard) => {
				const rows = await this.#on(shard, "counting a player's events", (s) =>
					queryRows<{ n: string }>(s, `SELECT uniqExact(id) AS n FROM ${this.#tables.eventsLocal} WHERE ${where}`),
				);
				return Number(rows[0]?.n ?? 0);
			}),
		);
		await Promise.all(
			this.#shards.map(async (shard, index) => {
				if (counts[index] === 0) return;
				await this.#mutate(shard, `ALTER TABLE ${this.#tables.eventsLocal} DELETE WHERE ${where}`, "events_local");
			}),
		);
		const events = counts.reduce((sum, n) => sum + n, 0);
		if (events > 0) deleted.events = (deleted.events ?? 0) + events;
		return { done: true, deleted };
	}

	/** The stored answers live in the batch ledger (the metadata store): pruned there, oldest first. */
	async pruneBatches(receivedBefore: number, limit: number): Promise<number> {
		this.#checkOpen();
		return await this.#options.batches.prune(receivedBefore, limit);
	}

	/** Runs a mutation and waits until the shard has no unfinished mutation of `table` left (18.16: no mutations_sync). */
	async #mutate(shard: ClickHouseShard, sql: string, table: string): Promise<void> {
		await this.#on(shard, "deleting rows", (s) => command(s, sql, LARGE_QUERY));
		const deadline = Date.now() + MUTATION_TIMEOUT_MS;
		for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
			const rows = await this.#on(shard, "waiting for a mutation", (s) =>
				queryRows<{ n: string; reason: string }>(
					s,
					`SELECT count() AS n FROM system.mutations
					WHERE database = ${sqlString(this.#options.target.database)} AND table = ${sqlString(table)} AND is_done = 0`,
				),
			);
			if (Number(rows[0]?.n ?? 0) === 0) return;
			if (Date.now() > deadline) {
				throw new Error(
					`ClickHouse shard ${shard.label}: a mutation of ${table} did not finish within ${MUTATION_TIMEOUT_MS} ms`,
				);
			}
			await new Promise((resolve) => setTimeout(resolve, pause));
		}
	}

	// ------------------------------------------------------------------------------------------- warehouse (E's)

	async experimentMetricSums(query: ExperimentMetricQuery): Promise<ExperimentMetricRow[]> {
		return this.warehouse.experimentMetricSums({
			...query,
			excludeUserIds: await this.#storedUserIds(query),
		});
	}

	async experimentUnits(query: ExperimentUnitsQuery): Promise<ExperimentUnits> {
		return this.warehouse.experimentUnits({ ...query, excludeUserIds: await this.#storedUserIds(query) });
	}

	/** The excluded players (QA users forced into a variation) are named by UserId; the events hold pseudonyms. */
	async #storedUserIds(query: { gameId: string; excludeUserIds: readonly number[] }): Promise<number[]> {
		const ids = await Promise.all(
			query.excludeUserIds.map((userId) => this.#players.pseudonymOf(query.gameId, userId)),
		);
		return ids.filter((id): id is number => id !== undefined);
	}

	// ------------------------------------------------------------------------------------------------------ helpers

	/**
	 * Runs `fn` on a shard; a transient failure (the shard unreachable, its disk full …) becomes a 503 naming the shard:
	 * retryable, as nothing was acknowledged.
	 */
	async #on<T>(shard: ClickHouseShard, what: string, fn: (shard: ClickHouseShard) => Promise<T>): Promise<T> {
		try {
			return await fn(shard);
		} catch (error) {
			if (isTransient(error)) {
				const unreachable = new ClickHouseUnreachableError(shard.label, error, `failed while ${what}`);
				this.#options.logger?.warn("clickhouse shard unavailable", { shard: shard.label, error: unreachable.message });
				throw new EventsUnavailableError(`The event store is unavailable (${unreachable.message}).`);
			}
			throw error;
		}
	}

	#checkOpen(): void {
		if (this.#closed) throw new Error("The ClickHouse event store is closed.");
	}
}

/**
 * ClickHouse error codes of a passing condition: a shard (or, through a Distributed table, a remote one) unreachable
 * or timing out (209 SOCKET_TIMEOUT, 210 NETWORK_ERROR, 279 ALL_CONNECTION_TRIES_FAILED, 159 TIMEOUT_EXCEEDED), a full
 * disk (243 NOT_ENOUGH_SPACE, 75 CANNOT_WRITE_TO_FILE_DESCRIPTOR), a busy server (202 TOO_MANY_SIMULTANEOUS_QUERIES,
 * 252 TOO_MANY_PARTS).
 */
const TRANSIENT_CODES = new Set(["159", "202", "209", "210", "243", "252", "279", "75"]);

/** A failure a retry may not meet: the socket (refused, reset, timed out) or a transient ClickHouse condition. */
function isTransient(error: unknown): boolean {
	const code = (error as { code?: unknown } | undefined)?.code;
	if (typeof code === "string") {
		if (TRANSIENT_CODES.has(code)) return true;
		if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code)) return true;
	}
	const message = error instanceof Error ? error.message : String(error);
	// The client parses only newer servers' error format into `code`; 18.16 answers "Code: 279, e.displayText() = …".
	const answered = /^Code: (\d+)[,.]/.exec(message)?.[1];
	if (answered !== undefined && TRANSIENT_CODES.has(answered)) return true;
	return /ECONNREFUSED|ECONNRESET|socket hang up|Timeout error|EPIPE|ETIMEDOUT|No space left on device/i.test(message);
}

/** Merges pages each in id order (bytewise, as ClickHouse and SQLite compare strings) into one. */
function mergeById<T extends { id: string }>(pages: readonly T[][]): T[] {
	const all = pages.flat();
	if (pages.filter((page) => page.length > 0).length > 1) all.sort((a, b) => compareBytes(a.id, b.id));
	return all;
}

/** Bytewise UTF-8 order of two strings (JS's < compares UTF-16 units, which differs beyond the BMP). */
export function compareBytes(a: string, b: string): number {
	if (isAscii(a) && isAscii(b)) return a < b ? -1 : a > b ? 1 : 0;
	return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** What the claim told of the batch's players' heads (contracts.ts BatchClaim). */
/** A consent event's props as stored (sealed, see {@link ClickHouseEventStore}'s step (d)): the JSON text and the value. */
interface SealedProps {
	json: string;
	value: Record<string, PropValue>;
}

interface Heads {
	/** Players holding none of the batch's ids for sure: not looked up. */
	clear: ReadonlySet<number>;
	/**
	 * Players with a head, whose ids are all well-formed: a lookup reads their rows from their smallest id in the batch
	 * on (for the SDK's time-ordered ids, the newest granules), not their whole history.
	 */
	from: ReadonlyMap<number, string>;
	/** Players without a head, with the batch's largest id of each: their head is made after the lookup. */
	headless: readonly PlayerIds[];
}

/**
 * Each player's smallest and largest event id in the batch (byte order), sorted by player: what the claim compares
 * with and raises the heads to. `irregular`: players with an id that is not well-formed UTF-16 (a lone surrogate,
 * which UTF-8 cannot carry): left out of their range and always looked up.
 */
export function playerIds(
	events: readonly IngestEvent[],
	pseudonyms: ReadonlyMap<number, number>,
): { ranges: PlayerIds[]; irregular: Set<number> } {
	const byPlayer = new Map<number, PlayerIds>();
	const irregular = new Set<number>();
	for (const event of events) {
		const player = pseudonyms.get(event.userId)!;
		const id = event.id;
		if (LONE_SURROGATE.test(id)) {
			irregular.add(player);
			continue;
		}
		const range = byPlayer.get(player);
		if (!range) byPlayer.set(player, { player, lo: id, hi: id });
		else if (compareBytes(id, range.lo) < 0) range.lo = id;
		else if (compareBytes(id, range.hi) > 0) range.hi = id;
	}
	return { ranges: [...byPlayer.values()].sort((a, b) => a.player - b.player), irregular };
}

function isAscii(value: string): boolean {
	// eslint-disable-next-line no-control-regex
	return /^[\x00-\x7f]*$/.test(value);
}

function toStoredEvent(row: EventRow, userId: number): StoredEvent {
	return {
		gameId: row.game_id,
		id: row.id,
		batchId: row.batch_id,
		userId,
		sessionId: row.session_id,
		// Only ever written from a validated event.
		type: row.type as StoredEvent["type"],
		name: row.name,
		time: Number(row.time),
		receivedAt: Number(row.received_at),
		props: JSON.parse(row.props) as StoredEvent["props"],
	};
}

/**
 * Whether ClickHouse gives the event's text back exactly as JSON.stringify wrote it: every string well formed (a lone
 * surrogate is escaped by JSON.stringify and may not come back the same) and the props JSON free of such escapes.
 */
function roundTrips(event: IngestEvent, json: string): boolean {
	const texts = [event.id, event.sessionId, event.type, event.name];
	return !texts.some((text) => LONE_SURROGATE.test(text)) && !/\\ud[89a-f]/i.test(json);
}

/** A surrogate not paired (`u` mode reads a pair as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;
