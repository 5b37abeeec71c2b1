// The metadata store's contract suite (store/contract/metadata-contract.ts) on PostgreSQL: one server for the file,
// a fresh database for each group of cases, the store opened as an instance opens it (migrations of both components)
// with the PostgreSQL player vault in the same database.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe } from "vitest";
import { serviceRequired, startPostgres, type PostgresService } from "../../testing/services.js";
import { describeMetadataContract } from "../contract/metadata-contract.js";
import { openPostgresMetadata } from "./index.js";
import { openPostgresPlayerVault } from "./player-vault.js";

describe.skipIf(!serviceRequired("postgres"))("PostgreSQL metadata engine", () => {
	let server: PostgresService;
	let databases = 0;

	beforeAll(async () => {
		server = await startPostgres();
	}, 60_000);
	afterAll(async () => {
		await server?.stop();
	}, 60_000);

	describeMetadataContract("postgres", async () => {
		const url = await server.createDatabase(`contract_${++databases}`);
		const players = await openPostgresPlayerVault({ url, masterKey: randomBytes(32) });
		try {
			const store = await openPostgresMetadata({ url, players });
			return {
				store,
				players,
				close: async () => {
					await store.close();
					await players.close();
				},
			};
		} catch (error) {
			await players.close();
			throw error;
		}
	});
});
