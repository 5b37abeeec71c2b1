// The batch ledger on PostgreSQL: claims (taken once, renewed by their holder, taken over once expired, given up),
// answers (returned by the claim that finds them, the first one kept), the fold's "which are answered", the rollup
// job's inbox (answered batches and their players until folded), pruning, and
// many instances claiming one batch at once: exactly one holds it.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0 } from "../../testing/fixtures.js";
import { serviceRequired, startPostgres, type PostgresService } from "../../testing/services.js";
import { PostgresBatchLedger } from "./batch-ledger.js";
import { METADATA_MIGRATIONS } from "./metadata-migrations.js";
import { runMigrations } from "./migrations.js";
import { openPool } from "./pool.js";

const answer = (n: number, receivedAt = T0, fingerprint = `fp-${n}`) => ({
	response: JSON.stringify({ accepted: n, duplicates: 0, rejected: [] }),
	fingerprint,
	receivedAt,
});

describe.skipIf(!serviceRequired("postgres"))("PostgresBatchLedger", () => {
	let service: PostgresService;
	const pools: pg.Pool[] = [];
	let databases = 0;

	beforeAll(async () => {
		service = await startPostgres();
	}, 120_000);

	afterAll(async () => {
		await Promise.all(pools.map((pool) => pool.end()));
		await service?.stop();
	}, 60_000);

	/** A ledger on a new metadata database (`instances` ledgers with a pool each, as instances have). */
	async function ledgers(instances = 1): Promise<PostgresBatchLedger[]> {
		const url = await service.createDatabase(`ledger_${++databases}`);
		const opened = Array.from({ length: instances }, () => openPool({ url }));
		pools.push(...opened);
		await runMigrations(opened[0]!, "metadata", METADATA_MIGRATIONS);
		return opened.map((pool) => new PostgresBatchLedger(pool));
	}

	it("claims a new batch once; its holder renews it, another waits until it expires", async () => {
		const [ledger] = await ledgers();
		expect(await ledger!.claim("g1", "b1", "h1", T0, T0 + 1000)).toEqual({ claimed: true });
		expect(await ledger!.claim("g1", "b1", "h2", T0 + 10, T0 + 1010)).toEqual({ claimed: false });
		// A renewal by the holder moves the expiry.
		expect(await ledger!.claim("g1", "b1", "h1", T0 + 500, T0 + 2000)).toEqual({ claimed: true });
		expect(await ledger!.claim("g1", "b1", "h2", T0 + 1500, T0 + 2500)).toEqual({ claimed: false });
		// Held up to, not at, its expiry: then another takes it over.
		expect(await ledger!.claim("g1", "b1", "h2", T0 + 2000, T0 + 3000)).toEqual({ claimed: true });
		expect(await ledger!.claim("g1", "b1", "h1", T0 + 2100, T0 + 3100)).toEqual({ claimed: false });
		// Another game's batch of the same id is its own.
		expect(await ledger!.claim("g2", "b1", "h1", T0, T0 + 1000)).toEqual({ claimed: true });
	});

	it("gives the stored answer to every later claim, whoever asks; the first answer stays", async () => {
		const [ledger] = await ledgers();
		expect(await ledger!.claim("g1", "b1", "h1", T0, T0 + 1000)).toEqual({ claimed: true });
		await ledger!.answer("g1", "b1", answer(3));
		expect(await ledger!.claim("g1", "b1", "h1", T0 + 1, T0 + 1001)).toEqual({ claimed: false, answer: answer(3) });
		// Long after any claim would have expired: still the answer.
		expect(await ledger!.claim("g1", "b1", "h9", T0 + 10 ** 9, T0 + 10 ** 9 + 1)).toEqual({
			claimed: false,
			answer: answer(3),
		});
		await ledger!.answer("g1", "b1", answer(5, T0 + 7));
		expect((await ledger!.claim("g1", "b1", "h2", T0, T0 + 1)).answer).toEqual(answer(3));
		// No fingerprint is '' both ways (stored NULL, as SQLite's batches has it); an answer without a claim row is kept.
		await ledger!.answer("g1", "b2", answer(1, T0, ""));
		expect(await ledger!.claim("g1", "b2", "h1", T0, T0 + 1)).toEqual({ claimed: false, answer: answer(1, T0, "") });
	});

	it("frees a failed attempt's claim for its holder only, never an answer", async () => {
		const [ledger] = await ledgers();
		await ledger!.claim("g1", "b1", "h1", T0, T0 + 60_000);
		await ledger!.release("g1", "b1", "h2");
		expect(await ledger!.claim("g1", "b1", "h2", T0 + 1, T0 + 60_001)).toEqual({ claimed: false });
		await ledger!.release("g1", "b1", "h1");
		expect(await ledger!.claim("g1", "b1", "h2", T0 + 2, T0 + 60_002)).toEqual({ claimed: true });
		await ledger!.answer("g1", "b1", answer(2));
		await ledger!.release("g1", "b1", "h2");
		expect((await ledger!.claim("g1", "b1", "h3", T0 + 3, T0 + 4)).answer).toEqual(answer(2));
	});

	it("tells which batches are answered (claims in progress are not)", async () => {
		const [ledger] = await ledgers();
		await ledger!.claim("g1", "claimed", "h1", T0, T0 + 60_000);
		await ledger!.claim("g1", "answered", "h1", T0, T0 + 60_000);
		await ledger!.answer("g1", "answered", answer(1));
		await ledger!.answer("g2", "answered", answer(1));
		const keys = [
			{ gameId: "g1", batchId: "claimed" },
			{ gameId: "g1", batchId: "answered" },
			{ gameId: "g2", batchId: "answered" },
			{ gameId: "g2", batchId: "unknown" },
			{ gameId: "g3", batchId: "answered" },
		];
		expect(await ledger!.answered(keys)).toEqual(new Set(["g1\u0000answered", "g2\u0000answered"]));
		expect(await ledger!.answered([])).toEqual(new Set());
	});

	it("prunes the oldest answers first, up to a limit, then claims that expired unanswered", async () => {
		const [ledger] = await ledgers();
		for (let i = 0; i < 5; i++) await ledger!.answer("g1", `b${i}`, answer(i, T0 + i * 1000));
		// A claim whose attempt died (expired at T0 + 500) and one still live.
		await ledger!.claim("g1", "dead", "h1", T0, T0 + 500);
		await ledger!.claim("g1", "live", "h1", T0, T0 + 10 ** 9);
		expect(await ledger!.prune(T0 + 3500, 2)).toBe(2);
		expect(await ledger!.answered([0, 1, 2].map((i) => ({ gameId: "g1", batchId: `b${i}` })))).toEqual(
			new Set(["g1\u0000b2"]),
		);
		// The dead claim still holds at T0 + 400; the next prune takes the last old answers, then the dead claim (only
		// answers are counted).
		expect(await ledger!.claim("g1", "dead", "h2", T0 + 400, T0 + 450)).toEqual({ claimed: false });
		expect(await ledger!.prune(T0 + 3500, 10)).toBe(2);
		expect(await ledger!.prune(T0 + 3500, 10)).toBe(0);
		const { rows } = await pools.at(-1)!.query<{ batch_id: string }>("SELECT batch_id FROM batches ORDER BY batch_id");
		expect(rows.map((row) => row.batch_id)).toEqual(["b4", "live"]);
		expect(await ledger!.prune(T0 + 10_000, 0)).toBe(0);
	});

	it("names answered batches and their players to the rollup job until folded; unfolded answers are not pruned", async () => {
		const [ledger] = await ledgers();
		expect(await ledger!.toFold(10)).toEqual([]);
		await ledger!.claim("g1", "b1", "h1", T0, T0 + 1000);
		await ledger!.answer("g1", "b2", answer(2, T0 + 2000), [7, -9_007_199_254_740, 8]);
		await ledger!.answer("g1", "b1", answer(1, T0 + 1000), [5]);
		// An answer without players (nothing stored, or written before the inbox) is never named.
		await ledger!.answer("g1", "b3", answer(0, T0 + 500));
		// The first answer stays, with its players.
		await ledger!.answer("g1", "b1", answer(9, T0 + 1000), [6]);
		expect(await ledger!.toFold(10)).toEqual([
			{ gameId: "g1", batchId: "b1", receivedAt: T0 + 1000, players: [5] },
			{ gameId: "g1", batchId: "b2", receivedAt: T0 + 2000, players: [7, -9_007_199_254_740, 8] },
		]);
		expect(await ledger!.toFold(1)).toHaveLength(1);
		// Old enough to prune, but not folded: kept (the one without players goes).
		expect(await ledger!.prune(T0 + 10_000, 10)).toBe(1);
		expect(await ledger!.toFold(10)).toHaveLength(2);
		await ledger!.markFolded([{ gameId: "g1", batchId: "b1" }]);
		expect(await ledger!.toFold(10)).toEqual([
			{ gameId: "g1", batchId: "b2", receivedAt: T0 + 2000, players: [7, -9_007_199_254_740, 8] },
		]);
		// Still answered, and prunable now.
		expect(await ledger!.claim("g1", "b1", "h2", T0 + 3000, T0 + 4000)).toEqual({
			claimed: false,
			answer: answer(1, T0 + 1000),
		});
		expect(await ledger!.prune(T0 + 10_000, 10)).toBe(1);
		expect(await ledger!.answered([{ gameId: "g1", batchId: "b2" }])).toEqual(new Set(["g1\u0000b2"]));
	});

	it("tells which players' heads are below the batch's ids, raises them when the claim is taken, in byte order", async () => {
		// A database whose default collation is not bytewise (ICU en-US sorts "a" before "Z" and "é" before "z"): the
		// heads must still compare as ClickHouse does.
		const url = await service.createDatabase(`ledger_${++databases}`);
		const admin = openPool({ url });
		pools.push(admin);
		const name = `ledger_icu_${databases}`;
		await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`);
		const pool = openPool({ url: url.replace(/\/[^/]+$/, `/${name}`) });
		pools.push(pool);
		await runMigrations(pool, "metadata", METADATA_MIGRATIONS);
		const ledger = new PostgresBatchLedger(pool);
		const heads = async () =>
			Object.fromEntries(
				(
					await pool.query<{ player: string; max_id: string }>(
						"SELECT player, max_id FROM player_heads WHERE game_id = 'g1' ORDER BY player",
					)
				).rows.map((row) => [row.player, row.max_id]),
			);
		const ids = (...ranges: [number, string, string][]) => ranges.map(([player, lo, hi]) => ({ player, lo, hi }));

		// No heads yet: every player is headless, and the claim creates none (only a lookup can).
		expect(await ledger.claim("g1", "b1", "h1", T0, T0 + 1000, ids([1, "m1", "m5"], [2, "m2", "m2"]))).toEqual({
			claimed: true,
			clear: [],
			headless: [1, 2],
		});
		expect(await heads()).toEqual({});
		await ledger.raiseHeads("g1", [
			{ player: 1, hi: "m5" },
			{ player: 2, hi: "m2" },
			{ player: 3, hi: "Z9" },
			{ player: 4, hi: "z" },
		]);
		// A head never goes down.
		await ledger.raiseHeads("g1", [{ player: 1, hi: "a" }]);
		expect(await heads()).toEqual({ "1": "m5", "2": "m2", "3": "Z9", "4": "z" });

		// Player 1's ids all above its head: clear. Player 2's smallest equals its head: maybe stored, looked up. Bytes:
		// "a" > "Z9" and "é" > "z", though en-US sorts them the other way. Player 5 has no head.
		expect(
			await ledger.claim(
				"g1",
				"b2",
				"h1",
				T0,
				T0 + 1000,
				ids([1, "m6", "m9"], [2, "m2", "m3"], [3, "a", "b"], [4, "é", "é"], [5, "x", "y"]),
			),
		).toEqual({ claimed: true, clear: [1, 3, 4], headless: [5] });
		expect(await heads()).toEqual({ "1": "m9", "2": "m3", "3": "b", "4": "é" });

		// A claim not taken (another holder's live claim, or an answer) raises nothing.
		expect(await ledger.claim("g1", "b2", "h2", T0 + 1, T0 + 1000, ids([1, "n1", "n9"]))).toEqual({ claimed: false });
		await ledger.answer("g1", "b2", answer(5));
		expect((await ledger.claim("g1", "b2", "h3", T0 + 2, T0 + 1000, ids([1, "o1", "o9"]))).claimed).toBe(false);
		expect((await heads())["1"]).toBe("m9");
		// A renewal by the holder raises again (the same ids: nothing changes), and another game's players are others.
		expect(await ledger.claim("g1", "b1", "h1", T0 + 3, T0 + 1000, ids([1, "m1", "m5"]))).toEqual({
			claimed: true,
			clear: [],
			headless: [],
		});
		expect(await ledger.claim("g2", "b1", "h1", T0, T0 + 1000, ids([1, "m6", "m9"]))).toEqual({
			claimed: true,
			clear: [],
			headless: [1],
		});
		expect(await heads()).toEqual({ "1": "m9", "2": "m3", "3": "b", "4": "é" });
	});

	it("prepares the claim and the answer once per connection: later batches only execute them", async () => {
		const url = await service.createDatabase(`ledger_${++databases}`);
		const pool = openPool({ url, poolSize: 1 });
		pools.push(pool);
		await runMigrations(pool, "metadata", METADATA_MIGRATIONS);
		const ledger = new PostgresBatchLedger(pool);
		for (const batchId of ["b1", "b2", "b3"]) {
			await ledger.claim("g1", batchId, "h1", T0, T0 + 1000, [{ player: 1, lo: batchId, hi: batchId }]);
			await ledger.claim("g1", batchId, "h1", T0, T0 + 1000);
			await ledger.answer("g1", batchId, answer(1), [1]);
		}
		// The pool's one connection holds the prepared statements (a session's own view).
		const { rows } = await pool.query<{ name: string }>("SELECT name FROM pg_prepared_statements ORDER BY name");
		expect(rows.map((row) => row.name)).toEqual([
			"vantage_batch_answer",
			"vantage_batch_claim",
			"vantage_batch_claim_heads",
		]);
	});

	it("lets exactly one of many instances claim a batch at once, and every one after sees its answer", async () => {
		const instances = await ledgers(4);
		for (let round = 0; round < 10; round++) {
			const batchId = `b${round}`;
			const claims = await Promise.all(
				Array.from({ length: 12 }, (_, i) =>
					instances[i % instances.length]!.claim("g1", batchId, `h${i}`, T0, T0 + 60_000),
				),
			);
			const winners = claims.flatMap((claim, i) => (claim.claimed ? [i] : []));
			expect(winners).toHaveLength(1);
			await instances[winners[0]! % instances.length]!.answer("g1", batchId, answer(round));
			const after = await Promise.all(instances.map((ledger) => ledger.claim("g1", batchId, "late", T0, T0 + 1)));
			for (const claim of after) expect(claim).toEqual({ claimed: false, answer: answer(round) });
		}
	});
});
