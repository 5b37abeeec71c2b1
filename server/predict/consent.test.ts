import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/schema.js";
import { consentSealer } from "../privacy/consent-records.js";
import { PlayerKeyring } from "../privacy/player-keys.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { NO_RECORD, playerChoices } from "./consent.js";

const NOW = Date.UTC(2026, 5, 1);
let keys: PlayerKeyring;
let store: Store;

function consent(id: string, userId: number, time: number, choice: Record<string, boolean>, source = "api") {
	return {
		id,
		time,
		userId,
		sessionId: "s",
		type: "consent",
		name: "consent",
		props: {
			policyVersion: "1",
			region: "US",
			source,
			analytics: true,
			experiments: true,
			personalization: true,
			...choice,
		},
	} as IngestEvent;
}

beforeAll(async () => {
	keys = PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) });
	store = openSqliteStore({ path: ":memory:", consentSealer: consentSealer(keys), players: keys });
	await store.createGame({ id: "g", name: "g", createdAt: NOW });
	const events = [
		// 1 granted everything, then withdrew analytics.
		consent("c-1", 1, NOW - 3000, {}),
		consent("c-2", 1, NOW - 2000, { analytics: false }, "withdrawal"),
		// 2 refused personalization only.
		consent("c-3", 2, NOW - 3000, { personalization: false }),
		// 3 has events but no consent record.
		{ id: "e-1", time: NOW - 1000, userId: 3, sessionId: "s", type: "custom", name: "x", props: {} } as IngestEvent,
	];
	await store.ingestBatch("g", { batchId: "b", sentAt: NOW, events, rejected: [] }, NOW);
});

afterAll(async () => {
	await store.close();
	keys.close();
});

describe("what players allow the predictive models", () => {
	it("takes each player's latest record, everything without one (whatever the game's default), never userId 0", async () => {
		const choices = await playerChoices({ store, keys }, "g", [1, 2, 3, 0, 1]);
		expect(Object.fromEntries(choices)).toEqual({
			1: { analytics: false, experiments: true, personalization: true },
			2: { analytics: true, experiments: true, personalization: false },
			// No record: the SDK's gate sent their events, so they allowed them (the setting is opt-in here).
			3: { analytics: true, experiments: true, personalization: true },
		});
		await store.updateGameSettings("g", { consentDefault: "opt-out" }, NOW);
		try {
			const optOut = await playerChoices({ store, keys }, "g", [1, 3]);
			expect(optOut.get(1)?.analytics).toBe(false);
			expect(optOut.get(3)).toEqual(NO_RECORD);
			// Without the keys a record cannot be read: its player allows nothing, whatever the default.
			const unreadable = await playerChoices({ store }, "g", [2, 3]);
			expect(unreadable.get(2)).toEqual({ analytics: false, experiments: false, personalization: false });
			expect(unreadable.get(3)?.analytics).toBe(true);
		} finally {
			await store.updateGameSettings("g", { consentDefault: "opt-in" }, NOW);
		}
	});
});
