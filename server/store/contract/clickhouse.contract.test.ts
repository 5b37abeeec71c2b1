// The event store contract on the scale path's event engine: two real ClickHouse 18.16 shards (one cluster), with the
// warehouse (rollups, metric queries, experiment units), a fresh database per group of cases. The metadata half the
// suite needs (games, settings, batch claims, consent records) is SQLite in memory here: its own contract runs on
// PostgreSQL in postgres.contract.test.ts.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe } from "vitest";
import { consentSealer } from "../../privacy/consent-records.js";
import { PlayerKeyring } from "../../privacy/player-keys.js";
import { serviceRequired, startClickHouse, type ClickHouseService } from "../../testing/services.js";
import { clickHouseWarehouse, openClickHouseEvents } from "../clickhouse/index.js";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import type { MetadataStore } from "../contracts.js";
import { describeEventContract } from "./event-contract.js";

const required = serviceRequired("clickhouse");
let ch: ClickHouseService | undefined;
let database = 0;

beforeAll(async () => {
	if (required) ch = await startClickHouse({ shards: 2 });
}, 120_000);

afterAll(async () => {
	await ch?.stop();
}, 120_000);

describe.skipIf(!required)("ClickHouse (2 shards)", () => {
	describeEventContract("clickhouse", async () => {
		if (!ch) throw new Error("ClickHouse did not start");
		const players = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
		const metadata: MetadataStore = openSqliteStore({ path: ":memory:", players, autoFold: false });
		const lease = (gameId: string, batchId: string) => `batch:${gameId}:${batchId}`;
		try {
			const events = await openClickHouseEvents({
				url: ch.eventsUrl(`contract_${++database}_${process.pid}`),
				players,
				consent: {
					sealer: consentSealer(players),
					appendRecords: (records) => metadata.consent.appendRecords(records),
				},
				settings: (gameId) => metadata.getGameSettings(gameId),
				listSettings: () => metadata.listGameSettings(),
				claimBatch: (gameId, batchId, holder, ttlMs) =>
					metadata.leases.acquire(lease(gameId, batchId), holder, Date.now(), Date.now() + ttlMs),
				releaseBatch: (gameId, batchId, holder) => metadata.leases.release(lease(gameId, batchId), holder),
				// The suite folds with catchUp().
				warehouse: clickHouseWarehouse({ autoFold: false, leases: metadata.leases }),
			});
			return {
				events,
				metadata,
				close: async () => {
					await events.close();
					await metadata.close();
					players.close();
				},
			};
		} catch (error) {
			await metadata.close();
			players.close();
			throw error;
		}
	});
});
