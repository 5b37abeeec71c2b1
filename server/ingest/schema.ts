import { z } from "zod";
import { consentEventProblems } from "../privacy/consent.js";
import { EVENT_TIME_WINDOW_TEXT, IMPLAUSIBLE_TIME } from "./event-time-window.js";

// The event types and the shapes below are plain types in server/domain/ingest.ts (the stores use them without this
// module); the schemas here are checked to produce exactly those types.
import { EVENT_TYPES } from "../domain/ingest.js";
import type {
	EventType,
	IngestEvent,
	IngestResult,
	PropValue,
	RejectedEvent,
	StoredEvent,
	ValidatedBatch,
} from "../domain/ingest.js";
import type { SameType } from "../domain/same-type.js";
export { EVENT_TYPES };
export type { EventType, IngestEvent, IngestResult, PropValue, RejectedEvent, StoredEvent, ValidatedBatch };

/** Game ids (the Roblox universe id, or any stable name) appear in URLs and logs; keep them to a safe alphabet. */
export const gameIdSchema = z
	.string()
	.regex(/^[A-Za-z0-9_-]{1,64}$/, "game id must be 1-64 characters of A-Z a-z 0-9 _ -");

/**
 * Most events in one batch. A game server at 1000 events/s must stay far under Roblox's 500 HTTP requests/min (the
 * SDK aims at ≤ 12/min), so batches are large; the byte limits (VANTAGE_MAX_BODY_BYTES compressed,
 * VANTAGE_MAX_INFLATED_BYTES inflated) bound what one request may cost.
 */
export const MAX_EVENTS_PER_BATCH = 10000;
export const MAX_PROPS = 64;

const propValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
true satisfies SameType<z.infer<typeof propValue>, PropValue>;

const propKey = z.string().min(1).max(128);

/**
 * Longest string prop value, in UTF-8 bytes: the SDK's own cap (`MAX_PROP_STRING_LENGTH` in src/shared/protocol.ts,
 * where Luau measures strings in bytes), so what the SDK refuses or truncates is never stored from another sender.
 */
export const MAX_PROP_STRING_BYTES = 1024;

/** Whether a string prop is within {@link MAX_PROP_STRING_BYTES}; cheap for the usual short value. */
export function propStringFits(value: string): boolean {
	// A UTF-16 code unit takes at most 3 UTF-8 bytes, and never less than 1.
	if (value.length * 3 <= MAX_PROP_STRING_BYTES) return true;
	if (value.length > MAX_PROP_STRING_BYTES) return false;
	return utf8Length(value) <= MAX_PROP_STRING_BYTES;
}

/** Bytes of `value` in UTF-8 (as Buffer.byteLength counts; without Buffer, since the dashboard bundles this file). */
function utf8Length(value: string): number {
	let bytes = 0;
	for (let i = 0; i < value.length; i++) {
		const unit = value.charCodeAt(i);
		if (unit < 0x80) bytes += 1;
		else if (unit < 0x800) bytes += 2;
		else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < value.length) {
			const next = value.charCodeAt(i + 1);
			// A surrogate pair is one code point of 4 bytes; a lone surrogate is written as U+FFFD (3 bytes).
			if (next >= 0xdc00 && next < 0xe000) {
				bytes += 4;
				i++;
			} else bytes += 3;
		} else bytes += 3;
	}
	return bytes;
}

const PROP_STRING_TOO_LONG = `string props may have at most ${MAX_PROP_STRING_BYTES} bytes (UTF-8), as in the SDK`;

// zod skips an own `__proto__` key when it rebuilds the record, so the prop would vanish silently; refuse it
// on the raw input instead.
export const propsSchema = z.preprocess(
	(value, ctx) => {
		if (typeof value === "object" && value !== null && Object.hasOwn(value, "__proto__")) {
			ctx.addIssue({ code: "custom", message: "reserved property name __proto__", input: value });
		}
		return value;
	},
	z
		.record(propKey, propValue)
		.refine((value) => Object.keys(value).length <= MAX_PROPS, { message: `at most ${MAX_PROPS} props` })
		.superRefine((value, ctx) => {
			for (const [key, prop] of Object.entries(value)) {
				if (typeof prop === "string" && !propStringFits(prop)) {
					ctx.addIssue({
						code: "custom",
						path: [key],
						message: `${PROP_STRING_TOO_LONG}; this one has ${utf8Length(prop)}`,
					});
				}
			}
		}),
);

/** Unix time in milliseconds (integer, not negative). */
const unixMs = z.number().int().nonnegative();

/** One event as the SDK sends it. Unknown members are stripped so newer SDKs stay compatible. */
export const eventSchema = z
	.object({
		/** Time-ordered id, unique within the game; deduplication key. */
		id: z
			.string()
			.min(1)
			.max(64)
			.describe("Time-ordered id (ULID), unique within the game: an event sent twice is stored once."),
		time: unixMs.describe(
			"When it happened: unix milliseconds (UTC), on the game server's clock. Corrected for the clock's skew " +
				"unless the game trusts client clocks; refused as implausible_time outside the accepted window.",
		),
		/** Roblox UserId; 0 marks a server-level event with no player. */
		userId: z.number().int().nonnegative().describe("The player's Roblox UserId; 0 for a game server's own event."),
		sessionId: z
			.string()
			.max(128)
			.describe("The player's session (one visit to one server), or the server's run for userId 0."),
		type: z
			.enum(EVENT_TYPES)
			.describe(
				"What kind of event. `exposure`: a player saw an experiment (name = experiment key, props.variation = " +
					"variation key); `consent`: the player's consent choice (props: policyVersion, analytics, experiments, " +
					"personalization, region, uiVersion, source); `session_start`/`session_end`: a visit (name `player`) " +
					"or a server's run (name `server`).",
			),
		name: z
			.string()
			.min(1)
			.max(128)
			.describe("The event's name within its type: the game's own for custom; the experiment key for exposure."),
		props: propsSchema.describe(
			`Up to ${MAX_PROPS} properties: string, number, boolean or null values, keys of 1-128 characters.`,
		),
	})
	.describe("One event as the SDK sends it. Unknown members are ignored.");
true satisfies SameType<z.infer<typeof eventSchema>, IngestEvent>;

/** The rules of {@link propsSchema} as one loop, without zod's per-key results; part of {@link fastValidEvent}. */
export function isValidProps(value: unknown): value is Record<string, PropValue> {
	if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
	if (Object.getPrototypeOf(value) !== Object.prototype || Object.hasOwn(value, "__proto__")) return false;
	let count = 0;
	for (const key in value) {
		if (!Object.hasOwn(value, key)) continue;
		if (++count > MAX_PROPS || key.length < 1 || key.length > 128) return false;
		const prop: unknown = (value as Record<string, unknown>)[key];
		if (typeof prop === "string") {
			if (!propStringFits(prop)) return false;
			continue;
		}
		if (prop === null || typeof prop === "boolean") continue;
		if (typeof prop !== "number" || !Number.isFinite(prop)) return false;
	}
	return true;
}

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

function isStringOfLength(value: unknown, min: number, max: number): value is string {
	return typeof value === "string" && value.length >= min && value.length <= max;
}

function isUnsignedSafeInteger(value: unknown): value is number {
	return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * The rules of {@link eventSchema} as plain checks, for the ingest hot path (zod's object parsing was a tenth of the
 * server's time per batch). Returns the event with unknown members stripped, as zod would, or undefined; an
 * undefined is re-checked by {@link eventSchema}, which words the rejection. schema.test.ts checks with fast-check
 * that both agree.
 */
export function fastValidEvent(raw: unknown): IngestEvent | undefined {
	if (typeof raw !== "object" || raw === null) return undefined;
	const { id, time, userId, sessionId, type, name, props } = raw as Record<string, unknown>;
	if (!isStringOfLength(id, 1, 64) || !isUnsignedSafeInteger(time) || !isUnsignedSafeInteger(userId)) return undefined;
	if (!isStringOfLength(sessionId, 0, 128) || typeof type !== "string" || !EVENT_TYPE_SET.has(type)) return undefined;
	if (!isStringOfLength(name, 1, 128) || !isValidProps(props)) return undefined;
	return { id, time, userId, sessionId, type: type as EventType, name, props };
}

/**
 * The batch envelope. Events are checked one by one afterwards ({@link validateEvents}) so that one bad event
 * is reported by index and never costs the others.
 */
export const batchEnvelopeSchema = z.object({
	batchId: z
		.string()
		.min(1)
		.max(64)
		.describe("Idempotency key: a retry resends the same events with the same batchId; new events take a new one."),
	sentAt: unixMs.describe(
		"When this attempt was sent: unix milliseconds on the sender's clock (set again on every retry); the server's " +
			"arrival time minus sentAt estimates the sender's clock skew.",
	),
	sdk: z
		.object({
			name: z.string().min(1).max(64).describe("The SDK's name, e.g. `vantage-roblox`."),
			version: z.string().min(1).max(64).describe("The SDK's version (semver), e.g. `0.1.0`."),
		})
		.optional()
		.describe("Which SDK sent the batch: the backend warns about outdated ones."),
	events: z
		.array(z.unknown())
		.min(1)
		.max(MAX_EVENTS_PER_BATCH)
		.describe(`1 to ${MAX_EVENTS_PER_BATCH} events, each checked on its own.`),
});

/** The batch envelope with every event valid (the shape the SDK builds). */
export const batchSchema = batchEnvelopeSchema
	.extend({
		events: z
			.array(eventSchema)
			.min(1)
			.max(MAX_EVENTS_PER_BATCH)
			.describe(`1 to ${MAX_EVENTS_PER_BATCH} events, each checked on its own: an invalid one costs only itself.`),
	})
	.describe("A batch of events from one game server.");
export type IngestBatch = z.infer<typeof batchSchema>;

/** Reason codes of a refused event: its shape or content, or its time (outside the window of event-time-window.ts). */
export const REJECTION_CODES = ["invalid_event", IMPLAUSIBLE_TIME] as const;

/** Why one event of a batch was not stored. `index` is its position in the request's `events` array. */
export const rejectedEventSchema = z.object({
	index: z.number().int().nonnegative().describe("Position of the event in the request's `events` array (from 0)."),
	code: z
		.enum(REJECTION_CODES)
		.describe(
			"`invalid_event`: the event does not match the event schema; `implausible_time`: its time is outside the " +
				`accepted window (${EVENT_TIME_WINDOW_TEXT}). Resending the same event gets the same answer.`,
		),
	message: z.string().describe("What is wrong, for people: the field and the rule, or the time and the window."),
});
true satisfies SameType<z.infer<typeof rejectedEventSchema>, RejectedEvent>;

/** What POST /v1/batches answers with 200 (also for a retried batch: the stored first answer). */
export const ingestResultSchema = z.object({
	accepted: z.number().int().nonnegative().describe("Events stored by this request."),
	duplicates: z.number().int().nonnegative().describe("Events whose id was already stored for this game."),
	rejected: z.array(rejectedEventSchema).describe("Invalid events, by index; the rest of the batch is kept."),
	erased: z
		.number()
		.int()
		.positive()
		.optional()
		.describe("Events of players erased from the game (GDPR), dropped unstored; absent when none. Not retryable."),
});
true satisfies SameType<z.infer<typeof ingestResultSchema>, IngestResult>;

/** Formats zod issues as `path: message`, the path in dotted form ("props.level"). */
export function describeIssues(issues: z.ZodError["issues"]): { path: string; message: string }[] {
	return issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/**
 * Validates the events of an already-valid envelope one by one (valid ones on a fast path, see {@link fastValidEvent}).
 * 1. each valid event is kept (in order);
 * 2. each invalid one becomes `{index, code, message}` in `rejected`;
 * 3. a consent event must also have consent props and a player ({@link consentEventProblems}): it is the proof of
 *    the player's choice, so one that could not serve as proof is refused, never stored half-understood;
 * 4. `admit`, when given, sees each otherwise valid event (it may change it, e.g. correct its time) and refuses it by
 *    returning a code and message; ingest uses it for the time window (event-time-window.ts).
 */
export function validateEvents(
	events: readonly unknown[],
	admit?: (event: IngestEvent) => Omit<RejectedEvent, "index"> | undefined,
): { events: IngestEvent[]; rejected: RejectedEvent[] } {
	const valid: IngestEvent[] = [];
	const rejected: RejectedEvent[] = [];
	const keep = (event: IngestEvent, index: number) => {
		const problems = event.type === "consent" ? consentEventProblems(event) : [];
		if (problems.length > 0) {
			rejected.push({ index, code: "invalid_event", message: problems.join("; ") });
			return;
		}
		const refusal = admit?.(event);
		if (refusal) rejected.push({ index, ...refusal });
		else valid.push(event);
	};
	events.forEach((raw, index) => {
		const fast = fastValidEvent(raw);
		if (fast) {
			keep(fast, index);
			return;
		}
		const result = eventSchema.safeParse(raw);
		if (result.success) {
			keep(result.data, index);
			return;
		}
		const message = describeIssues(result.error.issues)
			.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
			.join("; ");
		rejected.push({ index, code: "invalid_event", message });
	});
	return { events: valid, rejected };
}
