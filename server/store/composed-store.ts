// One app Store from two halves: a MetadataStore (games, keys, users, experiments, consent records, audit …) and an
// EventStore (ingest, raw events, rollups, metric queries). Routes and jobs keep using `Store` as they do on SQLite;
// only the few operations that span both halves (a player's data, their erasure, idempotency pruning) are joined here.
import type { ConsentSealer } from "../domain/consent.js";
import type { ErasePlayerOutcome, PlayerData, PrivacyStore } from "../domain/privacy.js";
import type { SecurityStore } from "../domain/security.js";
import type { EventMethod, EventStore, MetadataMethod, MetadataStore } from "./contracts.js";
import type { Store } from "./types.js";

export interface ComposeStoreParts {
	metadata: MetadataStore;
	events: EventStore;
	/**
	 * Reads what an erased player's consent records counted for, so their erasure takes them out of the tallies
	 * ({@link ConsentSealer.tallyOf}). @default none: records are deleted, tallies stay as they are
	 */
	consentSealer?: ConsentSealer;
}

// Every member of each half, listed once; the checks below fail to compile when contracts.ts gains a member not
// routed here (or routed twice).
const METADATA_MEMBERS = [
	"createGame",
	"getGame",
	"listGames",
	"insertApiKey",
	"getApiKey",
	"listApiKeys",
	"revokeApiKey",
	"insertAdminUser",
	"getAdminUser",
	"getAdminUserByEmail",
	"listAdminUsers",
	"updateAdminUser",
	"insertAdminSession",
	"getAdminSession",
	"touchAdminSession",
	"deleteAdminSession",
	"deleteStaleAdminSessions",
	"listSigningKeys",
	"addSigningKey",
	"insertExperiment",
	"getExperiment",
	"listExperiments",
	"updateExperiment",
	"deleteExperiment",
	"setAdaptiveWeights",
	"insertLibraryMetric",
	"getLibraryMetric",
	"listLibraryMetrics",
	"listLibraryMetricVersions",
	"archiveLibraryMetric",
	"insertFlag",
	"getFlag",
	"listFlags",
	"updateFlag",
	"deleteFlag",
	"getGameSettings",
	"updateGameSettings",
	"listGameSettings",
	"getDigestState",
	"claimDigestDay",
	"finishDigestDay",
	"access",
	"allocation",
	"predictions",
] as const satisfies readonly MetadataMethod[];
const EVENT_MEMBERS = [
	"ingestBatch",
	"listEvents",
	"experimentMetricSums",
	"experimentUnits",
] as const satisfies readonly EventMethod[];

/**
 * `security` is routed by hand (pruneBatches goes to the events), `warehouse` is the events' service as is, and the
 * rest (privacy, consent, leases, ping, close) below.
 */
type Routed =
	| (typeof METADATA_MEMBERS)[number]
	| (typeof EVENT_MEMBERS)[number]
	| "security"
	| "warehouse"
	| "privacy"
	| "consent"
	| "leases"
	| "ping"
	| "close";
type Unrouted = Exclude<MetadataMethod | EventMethod | keyof Store, Routed>;
const everyMemberRouted: [Unrouted] extends [never] ? true : Unrouted = true;
void everyMemberRouted;

/**
 * Joins a metadata half and an event half into the app's {@link Store}:
 * 1. metadata methods (games, keys, users, experiments, flags, settings, digests, access, allocation) → `metadata`;
 * 2. ingest, event reads, experiment sums and units, the warehouse → `events`;
 * 3. `security` → `metadata.security`, except `pruneBatches` (stored batch answers live with the events);
 * 4. `privacy` → `metadata.privacy`, plus `playerData` (the player's events and their metadata rows) and
 *    `erasePlayer` (events first: while the event half refuses, nothing is deleted from the metadata half; both
 *    halves are idempotent, so a retry after a failure in between finishes the job);
 * 5. `consent` → `metadata.consent`; ping and close reach both.
 *
 * @example
 * const store = composeStore({ metadata: await openPostgresMetadata(...), events: await openClickHouseEvents(...) });
 */
export function composeStore(parts: ComposeStoreParts): Store {
	const { metadata, events, consentSealer } = parts;
	const tallyOf = consentSealer?.tallyOf?.bind(consentSealer);

	const security: SecurityStore = withOverrides<SecurityStore>(metadata.security, {
		pruneBatches: (receivedBefore, limit) => events.pruneBatches(receivedBefore, limit),
	});
	const privacy: PrivacyStore = withOverrides<PrivacyStore>(metadata.privacy as unknown as PrivacyStore, {
		async playerData(gameId: string, userId: number): Promise<PlayerData> {
			const [playerEvents, records] = await Promise.all([
				events.playerEvents(gameId, userId),
				metadata.privacy.playerRecords(gameId, userId),
			]);
			return { events: playerEvents, records: records.records, forcedVariations: records.forcedVariations };
		},
		async erasePlayer(gameId: string, userId: number, at: number): Promise<ErasePlayerOutcome> {
			const erased = await events.erasePlayerEvents(gameId, userId, at);
			if (!erased.done) return erased;
			const records = await metadata.privacy.erasePlayerRecords(gameId, userId, at, tallyOf);
			return {
				done: true,
				deleted: mergeCounts(erased.deleted, records.deleted),
				experimentsUpdated: records.experimentsUpdated,
			};
		},
	});

	const store: Partial<Record<keyof Store, unknown>> = {
		warehouse: events.warehouse,
		privacy,
		consent: metadata.consent,
		leases: metadata.leases,
		security,
		async ping() {
			await Promise.all([metadata.ping(), events.ping()]);
		},
		async close() {
			// Both are closed even when one fails; the first failure is reported.
			const results = await Promise.allSettled([events.close(), metadata.close()]);
			const failed = results.find((result) => result.status === "rejected");
			if (failed) throw failed.reason;
		},
	};
	for (const name of METADATA_MEMBERS) store[name] = bindMember(metadata, name);
	for (const name of EVENT_MEMBERS) store[name] = bindMember(events, name);
	return Object.freeze(store) as Store;
}

/** A method bound to its object (engines are classes with private fields), or a sub-store as is. */
function bindMember<T extends object, K extends keyof T>(target: T, name: K): T[K] {
	const value = target[name];
	return typeof value === "function" ? (value.bind(target) as T[K]) : value;
}

/**
 * `target` with some members replaced: every other member is read from `target` and its methods run on it (so an
 * engine's class with private fields works, and members added to the interface later are delegated too).
 */
function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
	return new Proxy(target, {
		get(object, property) {
			if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
			const value: unknown = Reflect.get(object, property, object);
			return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(object) : value;
		},
		has(object, property) {
			return Object.hasOwn(overrides, property) || Reflect.has(object, property);
		},
	});
}

/** Rows deleted per table, summed where both halves name the same table. */
function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
	const out: Record<string, number> = { ...a };
	for (const [table, count] of Object.entries(b)) out[table] = (out[table] ?? 0) + count;
	return out;
}
