// The metadata tables' rows as both metadata engines (SQLite, PostgreSQL) read and write them, and the mappers between
// a row and its record: the tables have the same columns on both, so one mapping serves both and they cannot drift.
// Booleans are the one difference: PostgreSQL answers a boolean, SQLite 0 or 1 (and binds only numbers).
import type { GameScope } from "../domain/roles.js";
import type {
	ExperimentDefinition,
	ExperimentStatus,
	FlagDefinition,
	MetricDefinition,
	MetricRole,
} from "../domain/experiments.js";
import {
	digestWebhookAad,
	type AdminSessionKind,
	type AdminSessionListing,
	type LoginThrottleRecord,
	type SecretSealer,
	type TotpRecord,
} from "../domain/security.js";
import type { ConsentPolicyRecord, ConsentRecordRow, ConsentSource, ConsentTallyRow } from "../domain/consent.js";
import type { AuditRow, PrivacyJobRecord } from "../domain/privacy.js";
import type { LayerRecord } from "../domain/allocation.js";
import type {
	AdminSessionRecord,
	AdminUser,
	ApiKeyRecord,
	DigestState,
	ExperimentRecord,
	FlagRecord,
	Game,
	GameSettings,
	LibraryMetricRecord,
	SigningKeyRecord,
} from "./types.js";

/** A boolean column as read: PostgreSQL's boolean, or SQLite's 0/1. */
export type BoolColumn = boolean | number;

function isTrue(value: BoolColumn): boolean {
	return value === true || value === 1;
}

export interface GameRow {
	id: string;
	name: string;
	created_at: number;
}

export interface ApiKeyRow {
	id: string;
	game_id: string;
	name: string;
	secret_hash: string;
	scopes: string;
	created_at: number;
	revoked_at: number | null;
}

export interface AdminUserRow<Bool extends BoolColumn = BoolColumn> {
	id: string;
	email: string;
	password_hash: string;
	instance_admin: Bool;
	created_at: number;
	disabled_at: number | null;
}

export interface AdminSessionRow {
	id: string;
	user_id: string;
	csrf_token: string;
	created_at: number;
	last_seen_at: number;
	expires_at: number;
}

export interface SigningKeyRow {
	kid: string;
	alg: string;
	private_jwk: string;
	public_jwk: string;
	created_at: number;
	retired_at: number | null;
}

export interface ExperimentRow {
	game_id: string;
	key: string;
	status: string;
	definition: string;
	revision: number;
	created_at: number;
	updated_at: number;
	adaptive_weights: string | null;
	adaptive_updated_at: number | null;
}

export interface FlagRow {
	game_id: string;
	key: string;
	definition: string;
	revision: number;
	created_at: number;
	updated_at: number;
}

export interface GameSettingsRow<Bool extends BoolColumn = BoolColumn> {
	game_id: string;
	time_zone: string;
	raw_retention_days: number | null;
	digest_webhook_url: string | null;
	digest_hour: number;
	/** SQLite: 0 or 1 (a CHECK keeps it so). */
	trust_client_clock: Bool;
	/** 'opt-in' or 'opt-out' (a CHECK keeps it so). */
	consent_default: string;
	updated_at: number | null;
}

export interface DigestStateRow {
	game_id: string;
	last_day: string | null;
	attempts: number;
	last_error: string | null;
	claimed_day: string | null;
	claimed_until: number | null;
	updated_at: number;
}

export function toGame(row: GameRow): Game {
	return { id: row.id, name: row.name, createdAt: row.created_at };
}

export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
	return {
		id: row.id,
		gameId: row.game_id,
		name: row.name,
		secretHash: row.secret_hash,
		// Only ever written from validated scopes.
		scopes: row.scopes.split(" ").filter(Boolean) as GameScope[],
		createdAt: row.created_at,
		revokedAt: row.revoked_at,
	};
}

export function toAdminUser(row: AdminUserRow): AdminUser {
	return {
		id: row.id,
		email: row.email,
		passwordHash: row.password_hash,
		admin: isTrue(row.instance_admin),
		createdAt: row.created_at,
		disabledAt: row.disabled_at,
	};
}

export function toAdminSession(row: AdminSessionRow): AdminSessionRecord {
	return {
		id: row.id,
		userId: row.user_id,
		csrfToken: row.csrf_token,
		createdAt: row.created_at,
		lastSeenAt: row.last_seen_at,
		expiresAt: row.expires_at,
	};
}

export function toSigningKey(row: SigningKeyRow): SigningKeyRecord {
	return {
		kid: row.kid,
		alg: row.alg,
		privateJwk: row.private_jwk,
		publicJwk: row.public_jwk,
		createdAt: row.created_at,
		retiredAt: row.retired_at,
	};
}

export function fromExperiment(record: ExperimentRecord): ExperimentRow {
	return {
		game_id: record.gameId,
		key: record.key,
		status: record.status,
		definition: JSON.stringify(record.definition),
		revision: record.revision,
		created_at: record.createdAt,
		updated_at: record.updatedAt,
		adaptive_weights: record.adaptiveWeights && JSON.stringify(record.adaptiveWeights),
		adaptive_updated_at: record.adaptiveUpdatedAt,
	};
}

export function toExperiment(row: ExperimentRow): ExperimentRecord {
	return {
		gameId: row.game_id,
		key: row.key,
		// The column has a CHECK constraint on the statuses; the definition is only written validated.
		status: row.status as ExperimentStatus,
		definition: JSON.parse(row.definition) as ExperimentDefinition,
		revision: row.revision,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		adaptiveWeights: row.adaptive_weights === null ? null : (JSON.parse(row.adaptive_weights) as number[]),
		adaptiveUpdatedAt: row.adaptive_updated_at,
	};
}

export function fromFlag(record: FlagRecord): FlagRow {
	return {
		game_id: record.gameId,
		key: record.key,
		definition: JSON.stringify(record.definition),
		revision: record.revision,
		created_at: record.createdAt,
		updated_at: record.updatedAt,
	};
}

export function toFlag(row: FlagRow): FlagRecord {
	return {
		gameId: row.game_id,
		key: row.key,
		// Only ever written validated.
		definition: JSON.parse(row.definition) as FlagDefinition,
		revision: row.revision,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

/** A settings row as the API sees it; a sealed webhook URL is opened (a plain one, from before sealing, is as stored). */
export function toGameSettings(row: GameSettingsRow, secrets: SecretSealer | undefined): GameSettings {
	const url = row.digest_webhook_url;
	return {
		gameId: row.game_id,
		timeZone: row.time_zone,
		rawRetentionDays: row.raw_retention_days,
		digestWebhookUrl: url !== null && secrets?.isSealed(url) ? secrets.open(url, digestWebhookAad(row.game_id)) : url,
		digestHour: row.digest_hour,
		trustClientClock: isTrue(row.trust_client_clock),
		// The column has a CHECK constraint on the modes.
		consentDefault: row.consent_default as GameSettings["consentDefault"],
		updatedAt: row.updated_at,
	};
}

export function fromGameSettings(settings: GameSettings, secrets: SecretSealer | undefined): GameSettingsRow<boolean> {
	const url = settings.digestWebhookUrl;
	return {
		game_id: settings.gameId,
		time_zone: settings.timeZone,
		raw_retention_days: settings.rawRetentionDays,
		digest_webhook_url: url !== null && secrets ? secrets.seal(url, digestWebhookAad(settings.gameId)) : url,
		digest_hour: settings.digestHour,
		trust_client_clock: settings.trustClientClock,
		consent_default: settings.consentDefault,
		updated_at: settings.updatedAt,
	};
}

export function toDigestState(row: DigestStateRow): DigestState {
	return {
		gameId: row.game_id,
		lastDay: row.last_day,
		attempts: row.attempts,
		lastError: row.last_error,
		claimedDay: row.claimed_day,
		claimedUntil: row.claimed_until,
		updatedAt: row.updated_at,
	};
}

// ---- Metric library ----

export interface LibraryMetricRow {
	game_id: string;
	key: string;
	version: number;
	definition: string;
	role: string;
	created_at: number;
	created_by: string | null;
	archived_at: number | null;
}

export const LIBRARY_METRIC_COLUMNS = "game_id, key, version, definition, role, created_at, created_by, archived_at";

export function toLibraryMetric(row: LibraryMetricRow): LibraryMetricRecord {
	return {
		gameId: row.game_id,
		key: row.key,
		version: row.version,
		// Only ever written validated; the role column has a CHECK constraint.
		definition: JSON.parse(row.definition) as MetricDefinition,
		role: row.role as MetricRole,
		createdAt: row.created_at,
		createdBy: row.created_by,
		archivedAt: row.archived_at,
	};
}

export function fromLibraryMetric(record: LibraryMetricRecord): LibraryMetricRow {
	return {
		game_id: record.gameId,
		key: record.key,
		version: record.version,
		definition: JSON.stringify(record.definition),
		role: record.role,
		created_at: record.createdAt,
		created_by: record.createdBy,
		archived_at: record.archivedAt,
	};
}

// ---- Allocation: layers, holdouts, adaptive runs ----

export interface LayerRow {
	game_id: string;
	id: string;
	name: string;
	description: string;
	created_at: number;
	updated_at: number;
}

export interface HoldoutRow {
	game_id: string;
	percent: number;
	seed: string;
	created_at: number;
	updated_at: number;
}

export interface AdaptiveRunRow {
	game_id: string;
	experiment_key: string;
	ran_at: number;
}

export function toLayer(row: LayerRow): LayerRecord {
	return {
		gameId: row.game_id,
		id: row.id,
		name: row.name,
		description: row.description,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

export function fromLayer(layer: LayerRecord): LayerRow {
	return {
		game_id: layer.gameId,
		id: layer.id,
		name: layer.name,
		description: layer.description,
		created_at: layer.createdAt,
		updated_at: layer.updatedAt,
	};
}

// ---- Consent ledger ----

export interface ConsentPolicyDbRow {
	game_id: string;
	version: string;
	summary: string | null;
	url: string | null;
	effective_at: number;
	created_at: number;
	created_by: string;
}

export interface ConsentRecordDbRow {
	game_id: string;
	event_id: string;
	user_id: number;
	time: number;
	received_at: number;
	policy_version: string;
	details: Buffer;
}

export interface ConsentTallyDbRow {
	policy_version: string;
	source: string;
	analytics: BoolColumn;
	experiments: BoolColumn;
	personalization: BoolColumn;
	records: number;
}

export const CONSENT_POLICY_COLUMNS = "game_id, version, summary, url, effective_at, created_at, created_by";
export const CONSENT_RECORD_COLUMNS = "game_id, event_id, user_id, time, received_at, policy_version, details";

export function toConsentPolicy(row: ConsentPolicyDbRow): ConsentPolicyRecord {
	return {
		gameId: row.game_id,
		version: row.version,
		summary: row.summary,
		url: row.url,
		effectiveAt: row.effective_at,
		createdAt: row.created_at,
		createdBy: row.created_by,
	};
}

/** A record row as the API sees it: `userId` is the player's UserId (the row holds their pseudonym). */
export function toConsentRecord(row: ConsentRecordDbRow, userId: number): ConsentRecordRow {
	return {
		gameId: row.game_id,
		eventId: row.event_id,
		userId,
		time: row.time,
		receivedAt: row.received_at,
		policyVersion: row.policy_version,
		details: row.details,
	};
}

export function toConsentTally(row: ConsentTallyDbRow): ConsentTallyRow {
	return {
		policyVersion: row.policy_version,
		// The column has a CHECK constraint on the sources.
		source: row.source as ConsentSource,
		analytics: isTrue(row.analytics),
		experiments: isTrue(row.experiments),
		personalization: isTrue(row.personalization),
		records: row.records,
	};
}

// ---- Security: login throttle, TOTP, session listings ----

export interface ThrottleRow {
	account: string;
	failures: number;
	last_failure_at: number;
	locked_until: number | null;
}

export interface TotpRow {
	user_id: string;
	secret: string;
	confirmed_at: number | null;
	last_step: number;
	created_at: number;
}

/** An admin session row with its kind, as the security tables list sessions. */
/** An admin session with its kind (the security store's listing). */
export interface SessionRow extends AdminSessionRow {
	kind: string;
}

export function toLoginThrottle(row: ThrottleRow): LoginThrottleRecord {
	return {
		account: row.account,
		failures: row.failures,
		lastFailureAt: row.last_failure_at,
		lockedUntil: row.locked_until,
	};
}

export function toTotp(row: TotpRow): TotpRecord {
	return {
		userId: row.user_id,
		secret: row.secret,
		confirmedAt: row.confirmed_at,
		lastStep: row.last_step,
		createdAt: row.created_at,
	};
}

export function toSessionListing(row: SessionRow): AdminSessionListing {
	// The column has a CHECK constraint on the kinds.
	return { ...toAdminSession(row), kind: row.kind as AdminSessionKind };
}

// ---- Privacy: audit log and jobs ----

export interface AuditDbRow {
	seq: number;
	at: number;
	actor: string;
	action: string;
	game_id: string | null;
	subject: string | null;
	details: string;
	prev_hash: string;
	hash: string;
}

export interface JobRow {
	id: string;
	kind: string;
	source: string;
	status: string;
	game_ids: string;
	user_id: number | null;
	requested_by: string;
	created_at: number;
	started_at: number | null;
	finished_at: number | null;
	result: string | null;
	error: string | null;
}

export function toAuditRow(row: AuditDbRow): AuditRow {
	return {
		seq: row.seq,
		at: row.at,
		actor: row.actor,
		action: row.action,
		gameId: row.game_id,
		subject: row.subject,
		details: row.details,
		prevHash: row.prev_hash,
		hash: row.hash,
	};
}

export function fromJob(job: PrivacyJobRecord): Omit<JobRow, "user_id"> {
	return {
		id: job.id,
		kind: job.kind,
		source: job.source,
		status: job.status,
		game_ids: JSON.stringify(job.gameIds),
		requested_by: job.requestedBy,
		created_at: job.createdAt,
		started_at: job.startedAt,
		finished_at: job.finishedAt,
		result: job.result === null ? null : JSON.stringify(job.result),
		error: job.error,
	};
}

export function toJob(row: JobRow): PrivacyJobRecord {
	return {
		id: row.id,
		// CHECK constraints keep these to the listed values.
		kind: row.kind as PrivacyJobRecord["kind"],
		source: row.source as PrivacyJobRecord["source"],
		status: row.status as PrivacyJobRecord["status"],
		gameIds: JSON.parse(row.game_ids) as string[],
		requestedBy: row.requested_by,
		createdAt: row.created_at,
		startedAt: row.started_at,
		finishedAt: row.finished_at,
		result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
		error: row.error,
	};
}
