// The store contract suites on the embedded engine: one SQLite database (in memory) holds both halves, opened with a
// player vault in memory (privacy/player-keys.ts). postgres.contract.test.ts and clickhouse.contract.test.ts run the
// same suites on the scale path's engines.
import { randomBytes } from "node:crypto";
import { PlayerKeyring } from "../../privacy/player-keys.js";
import { openSqliteStore } from "../sqlite/sqlite-store.js";
import { describeEventContract } from "./event-contract.js";
import { describeMetadataContract } from "./metadata-contract.js";

describeMetadataContract("sqlite", async () => {
	const players = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	const store = openSqliteStore({ path: ":memory:", players });
	return {
		store,
		players,
		close: async () => {
			await store.close();
			players.close();
		},
	};
});

describeEventContract("sqlite", async () => {
	const players = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	// The warehouse folds only when asked (catchUp), as the suite expects of every engine.
	const store = openSqliteStore({ path: ":memory:", players, autoFold: false });
	return {
		events: store,
		metadata: store,
		close: async () => {
			await store.close();
			players.close();
		},
	};
});
