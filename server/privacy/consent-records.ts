// Consent records: sealing a consent event's choice with the player's key at ingest, and opening a player's records
// for the admin API. The clear columns (player, time, policy version) prove that a choice was made and under which
// policy; the choice itself (categories, region, UI version, source) is sealed, so an erasure that shreds the
// player's key leaves nothing readable in the database or its backups.
import { z } from "zod";
import type { IngestEvent } from "../ingest/schema.js";
import { CONSENT_CATEGORIES, CONSENT_SOURCES, consentPropsSchema, storedConsentProps } from "./consent.js";
import type { ConsentPolicyRecord, ConsentRecordRow, ConsentSealer } from "./consent-store.js";
import type { PlayerKeyring } from "./player-keys.js";

/** Binds sealed details to their record: moved to another row, player or game, they no longer authenticate. */
export function consentDetailsAad(gameId: string, userId: number, eventId: string): string {
	return `vantage consent record\0${gameId}\0${userId}\0${eventId}`;
}

/** What is sealed in a record (JSON). Also validates what comes out of a record when it is opened. */
const detailsSchema = z.strictObject({
	analytics: z.boolean(),
	experiments: z.boolean(),
	personalization: z.boolean(),
	region: z.string(),
	uiVersion: z.string().nullable(),
	source: z.enum(CONSENT_SOURCES),
});
type ConsentDetails = z.output<typeof detailsSchema>;

/**
 * The store's {@link ConsentSealer}: the event's props (validated at ingest) become the record's sealed details,
 * under the player's key (created on their first consent event).
 *
 * @example
 * const store = openSqliteStore({ path, consentSealer: consentSealer(keyring) });
 */
export function consentSealer(keyring: PlayerKeyring): ConsentSealer {
	// One key-database commit (one fsync) per batch for its new players, instead of one per new player: a batch with
	// 5 first-time consents out of 500 events otherwise ingested ~30% slower (measured, see the issue note).
	const prepare = (gameId: string, events: readonly IngestEvent[], receivedAt: number) => {
		keyring.ensureKeys(
			gameId,
			events.map((event) => event.userId),
			receivedAt,
		);
	};
	return { prepare, ...sealWith(keyring) };
}

/**
 * What {@link consentSealerAsync} needs of a vault that answers asynchronously (store/postgres/player-vault.ts):
 * creating and loading keys is async; sealing and opening are sync over the keys loaded.
 */
export interface AsyncConsentKeys extends ConsentKeyOpener {
	/** Creates the keys (vault rows) the players lack, committed before it resolves; skips userId 0. */
	ensureKeys(gameId: string, userIds: readonly number[], now: number): Promise<void>;
	/** Reads the players' keys for the sync seal and open that follow (a key shredded since is gone). */
	loadKeys(gameId: string, userIds: readonly number[]): Promise<void>;
	/** Seals with a loaded key; throws for a player whose key was not loaded. */
	seal(gameId: string, userId: number, plaintext: Buffer, aad: string, now: number): Buffer;
}

/**
 * The {@link ConsentSealer} of an async vault (PostgreSQL, shared by every instance). Its `prepare` is async: it
 * creates the batch's missing keys and loads the keys of every player of the batch's consent events; `seal` is
 * sync over those keys. The event engine awaits `prepare(...)` before it seals the batch (the plan's rule: "await
 * its result anyway"), so a key is committed in the vault before anything sealed with it is stored. `tallyOf` is
 * sync over loaded keys too: an erasure loads the player's key first (the PostgreSQL privacy store does, given the
 * vault).
 *
 * @example
 * const sealer = consentSealerAsync(vault);
 * await sealer.prepare(gameId, consentEvents, receivedAt);
 * const sealed = consentEvents.map((event) => sealer.seal(gameId, event, receivedAt));
 */
export function consentSealerAsync(
	keys: AsyncConsentKeys,
): ConsentSealer & { prepare(gameId: string, events: readonly IngestEvent[], receivedAt: number): Promise<void> } {
	const prepare = async (gameId: string, events: readonly IngestEvent[], receivedAt: number) => {
		const players = events.map((event) => event.userId);
		await keys.ensureKeys(gameId, players, receivedAt);
		await keys.loadKeys(gameId, players);
	};
	return { prepare, ...sealWith(keys) };
}

/** Opens values sealed for a player: undefined when the player's key is gone (the keyring, or a loaded vault). */
export interface ConsentKeyOpener {
	open(gameId: string, userId: number, sealed: Uint8Array, aad: string): Buffer | undefined;
}

/** `seal` and `tallyOf` of a consent sealer, over whatever seals and opens with the players' keys. */
function sealWith(keys: {
	seal(gameId: string, userId: number, plaintext: Buffer, aad: string, now: number): Buffer;
	open(gameId: string, userId: number, sealed: Uint8Array, aad: string): Buffer | undefined;
}): Pick<ConsentSealer, "seal" | "tallyOf"> {
	const seal = (gameId: string, event: IngestEvent, receivedAt: number) => {
		// Ingest validated the props (consentEventProblems); failing here would be a bug, and it fails the batch loudly.
		const props = consentPropsSchema.parse(event.props);
		const details: ConsentDetails = {
			analytics: props.analytics,
			experiments: props.experiments,
			personalization: props.personalization,
			region: props.region,
			uiVersion: props.uiVersion ?? null,
			source: props.source,
		};
		const plaintext = Buffer.from(JSON.stringify(details), "utf8");
		const aad = consentDetailsAad(gameId, event.userId, event.id);
		return {
			details: keys.seal(gameId, event.userId, plaintext, aad, receivedAt),
			policyVersion: props.policyVersion,
			storedProps: storedConsentProps(props),
			tally: {
				source: props.source,
				analytics: props.analytics,
				experiments: props.experiments,
				personalization: props.personalization,
			},
		};
	};
	const tallyOf = (row: Pick<ConsentRecordRow, "gameId" | "userId" | "eventId" | "details">) => {
		const plaintext = keys.open(
			row.gameId,
			row.userId,
			row.details,
			consentDetailsAad(row.gameId, row.userId, row.eventId),
		);
		if (!plaintext) return undefined;
		const d = detailsSchema.parse(JSON.parse(plaintext.toString("utf8")));
		return { source: d.source, analytics: d.analytics, experiments: d.experiments, personalization: d.personalization };
	};
	return { seal, tallyOf };
}

const choicesSchema = z
	.object(
		Object.fromEntries(
			CONSENT_CATEGORIES.map((category) => [category, z.boolean().describe(`Whether ${category} was granted.`)]),
		) as {
			[K in (typeof CONSENT_CATEGORIES)[number]]: z.ZodBoolean;
		},
	)
	.describe("The player's choice per category (true: granted).");

export const consentRecordSchema = z
	.object({
		eventId: z.string().describe("The consent event's id."),
		time: z.string().describe("When the player chose (ISO 8601)."),
		receivedAt: z.string().describe("When the backend received it (ISO 8601)."),
		policyVersion: z.string().describe("The policy version the player answered."),
		knownPolicy: z.boolean().describe("Whether the game has published this policy version."),
		readable: z
			.boolean()
			.describe("false when the player's key was shredded (erasure): the choice below is then null."),
		choices: choicesSchema.nullable(),
		region: z.string().nullable().describe("ISO 3166-1 alpha-2 country the rules were decided by."),
		uiVersion: z.string().nullable().describe("The consent prompt's version, when the player answered it."),
		source: z
			.enum(CONSENT_SOURCES)
			.nullable()
			.describe("prompt: the player answered the consent prompt; api: the game set it; null when unreadable."),
	})
	.describe("One consent record: the proof of a choice.");
export type ConsentRecordView = z.output<typeof consentRecordSchema>;

export const playerConsentSchema = z
	.object({
		gameId: z.string().describe("The game."),
		userId: z.number().int().describe("The player's Roblox UserId."),
		currentPolicyVersion: z.string().nullable().describe("The game's policy version in effect now."),
		state: z
			.object({
				policyVersion: z.string().describe("The policy version of the latest choice."),
				choices: choicesSchema,
				source: z.enum(CONSENT_SOURCES).describe("prompt: the player answered the prompt; api: the game set it."),
				time: z.string().describe("When the player chose (ISO 8601)."),
				upToDate: z.boolean().describe("Given under the current policy version (else the SDK asks the player again)."),
			})
			.nullable()
			.describe("The player's latest readable choice; null without one."),
		records: z.array(consentRecordSchema).describe("Every record, oldest first (append-only)."),
	})
	.describe("A player's consent: current state and every record.");
export type PlayerConsent = z.output<typeof playerConsentSchema>;

/**
 * Opens one record: the details when the player's key exists, nulls when it was shredded. A record whose details do
 * not authenticate (altered, or a wrong master key) throws: the proof must not be shown as something it is not.
 */
export function openConsentRecord(
	keyring: ConsentKeyOpener,
	row: ConsentRecordRow,
	knownVersions: ReadonlySet<string>,
): ConsentRecordView {
	const plaintext = keyring.open(
		row.gameId,
		row.userId,
		row.details,
		consentDetailsAad(row.gameId, row.userId, row.eventId),
	);
	const details = plaintext && detailsSchema.parse(JSON.parse(plaintext.toString("utf8")));
	return {
		eventId: row.eventId,
		time: new Date(row.time).toISOString(),
		receivedAt: new Date(row.receivedAt).toISOString(),
		policyVersion: row.policyVersion,
		knownPolicy: knownVersions.has(row.policyVersion),
		readable: details !== undefined,
		choices: details
			? { analytics: details.analytics, experiments: details.experiments, personalization: details.personalization }
			: null,
		region: details?.region ?? null,
		uiVersion: details?.uiVersion ?? null,
		source: details?.source ?? null,
	};
}

/**
 * The policy version in effect at `now`: the latest whose effectiveAt has come (policies arrive in effective order,
 * as the store lists them). Null while none has.
 */
export function currentPolicy(policies: readonly ConsentPolicyRecord[], now: number): ConsentPolicyRecord | null {
	let current: ConsentPolicyRecord | null = null;
	for (const policy of policies) if (policy.effectiveAt <= now) current = policy;
	return current;
}

/**
 * Keys that open consent records: the SQLite keyring (reads its key rows as it opens), or a vault whose keys are
 * loaded first (the PostgreSQL vault: store/postgres/player-vault.ts).
 */
export type ConsentKeys = ConsentKeyOpener & {
	loadKeys?(gameId: string, userIds: readonly number[]): Promise<void>;
};

/**
 * {@link playerConsent} with any {@link ConsentKeys}: loads the player's key first where the vault needs it (a key
 * shredded by another instance is then gone here too).
 *
 * @example
 * return c.json(await loadedPlayerConsent(deps.playerKeys, { gameId, userId, rows, policies }, now), 200);
 */
export async function loadedPlayerConsent(
	keys: ConsentKeys,
	input: Parameters<typeof playerConsent>[1],
	now: number,
): Promise<PlayerConsent> {
	await keys.loadKeys?.(input.gameId, [input.userId]);
	return playerConsent(keys, input, now);
}

/** A player's consent as the admin API shows it: every record opened, and the latest readable one as the state. */
export function playerConsent(
	keyring: ConsentKeyOpener,
	input: {
		gameId: string;
		userId: number;
		rows: readonly ConsentRecordRow[];
		policies: readonly ConsentPolicyRecord[];
	},
	now: number,
): PlayerConsent {
	const known = new Set(input.policies.map((p) => p.version));
	const current = currentPolicy(input.policies, now)?.version ?? null;
	const records = input.rows.map((row) => openConsentRecord(keyring, row, known));
	const latest = records.findLast((record) => record.readable);
	return {
		gameId: input.gameId,
		userId: input.userId,
		currentPolicyVersion: current,
		state:
			latest?.choices && latest.source
				? {
						policyVersion: latest.policyVersion,
						choices: latest.choices,
						source: latest.source,
						time: latest.time,
						upToDate: latest.policyVersion === current,
					}
				: null,
		records,
	};
}
