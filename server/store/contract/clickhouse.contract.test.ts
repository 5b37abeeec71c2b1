// The event store contract on the scale path's event engine: two real ClickHouse 18.16 shards (one cluster), with the
// warehouse (rollups, metric queries, experiment units), a fresh database per group of cases. The batch ledger (claims
// and answers) is PostgreSQL's, as on the scale path, a database of its own per group. The rest of the metadata half
// the suite needs (games, settings, consent records) is SQLite in memory here: its own contract runs on PostgreSQL in
// postgres.contract.test.ts.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe } from "vitest";
import { consentSealer } from "../../privacy/consent-records.js";
import { PlayerKeyring } from "../../privacy/player-keys.js";
import {
	serviceRequired,
	startClickHouse,
	startPostgres,
	type ClickHouseService,
	type PostgresService,
} from "../../testing/services.js";
import { clickHouseWarehouse, openClickHouseEvents } from "../clickhouse/index.js";
import { PostgresBatchLedger } from "../postgres/batch-ledger.js";
import { METADATA_MIGRATIONS } from "../postgres/metadata-migrations.js";
import { runMigrations } from "../postgres/migrations.js";
import { openPool } from "../postgres/pool.js";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import type { MetadataStore } from "../contracts.js";
import { describeEventContract } from "./event-contract.js";

const required = serviceRequired("clickhouse") && serviceRequired("postgres");
let ch: ClickHouseService | undefined;
let postgres: PostgresService | undefined;
let database = 0;

beforeAll(async () => {
	if (required) [ch, postgres] = await Promise.all([startClickHouse({ shards: 2 }), startPostgres()]);
}, 120_000);

afterAll(async () => {
	await Promise.all([ch?.stop(), postgres?.stop()]);
}, 120_000);

describe.skipIf(!required)("ClickHouse (2 shards)", () => {
	describeEventContract("clickhouse", async () => {
		if (!ch || !postgres) throw new Error("ClickHouse or PostgreSQL did not start");
		const players = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		const metadata: MetadataStore = openSqliteStore({ path: ":memory:", players, autoFold: false });
		const name = `contract_${++database}_${process.pid}`;
		const ledgerPool = openPool({ url: await postgres.createDatabase(name) });
		try {
			await runMigrations(ledgerPool, "metadata", METADATA_MIGRATIONS);
			const events = await openClickHouseEvents({
				url: ch.eventsUrl(name),
				players,
				consent: {
					sealer: consentSealer(players),
					appendRecords: (records) => metadata.consent.appendRecords(records),
				},
				settings: (gameId) => metadata.getGameSettings(gameId),
				listSettings: () => metadata.listGameSettings(),
				batches: new PostgresBatchLedger(ledgerPool),
				// The suite folds with catchUp().
				warehouse: clickHouseWarehouse({ autoFold: false, leases: metadata.leases }),
			});
			return {
				events,
				metadata,
				close: async () => {
					await events.close();
					await metadata.close();
					await ledgerPool.end();
					players.close();
				},
			};
		} catch (error) {
			await metadata.close();
			await ledgerPool.end();
			players.close();
			throw error;
		}
	});
});
