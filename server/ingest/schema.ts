import { z } from "zod";
import { consentEventProblems } from "../privacy/consent.js";

/** Event types the SDK sends. Order is irrelevant; never remove one (stored events keep their type). */
export const EVENT_TYPES = [
	"session_start",
	"session_end",
	"custom",
	"progression",
	"economy",
	"purchase",
	"funnel",
	"error",
	"exposure",
	"consent",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

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
export type PropValue = z.infer<typeof propValue>;

const propKey = z.string().min(1).max(128);

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
		.refine((value) => Object.keys(value).length <= MAX_PROPS, { message: `at most ${MAX_PROPS} props` }),
);

/** Unix time in milliseconds (integer, not negative). */
const unixMs = z.number().int().nonnegative();

/** One event as the SDK sends it. Unknown members are stripped so newer SDKs stay compatible. */
export const eventSchema = z.object({
	/** Time-ordered id, unique within the game; deduplication key. */
	id: z.string().min(1).max(64),
	time: unixMs,
	/** Roblox UserId; 0 marks a server-level event with no player. */
	userId: z.number().int().nonnegative(),
	sessionId: z.string().max(128),
	type: z.enum(EVENT_TYPES),
	name: z.string().min(1).max(128),
	props: propsSchema,
});
export type IngestEvent = z.infer<typeof eventSchema>;

/** The rules of {@link propsSchema} as one loop, without zod's per-key results; part of {@link fastValidEvent}. */
export function isValidProps(value: unknown): value is Record<string, PropValue> {
	if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
	if (Object.getPrototypeOf(value) !== Object.prototype || Object.hasOwn(value, "__proto__")) return false;
	let count = 0;
	for (const key in value) {
		if (!Object.hasOwn(value, key)) continue;
		if (++count > MAX_PROPS || key.length < 1 || key.length > 128) return false;
		const prop: unknown = (value as Record<string, unknown>)[key];
		if (prop === null || typeof prop === "string" || typeof prop === "boolean") continue;
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
	batchId: z.string().min(1).max(64),
	sentAt: unixMs,
	sdk: z.object({ name: z.string().min(1).max(64), version: z.string().min(1).max(64) }).optional(),
	events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH),
});

/** The batch envelope with every event valid (the shape the SDK builds). */
export const batchSchema = batchEnvelopeSchema.extend({
	events: z.array(eventSchema).min(1).max(MAX_EVENTS_PER_BATCH),
});
export type IngestBatch = z.infer<typeof batchSchema>;

/** Why one event of a batch was not stored. `index` is its position in the request's `events` array. */
export const rejectedEventSchema = z.object({
	index: z.number().int().nonnegative(),
	code: z.literal("invalid_event"),
	message: z.string(),
});
export type RejectedEvent = z.infer<typeof rejectedEventSchema>;

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
export type IngestResult = z.infer<typeof ingestResultSchema>;

export interface ValidatedBatch {
	batchId: string;
	sentAt: number;
	sdk?: { name: string; version: string } | undefined;
	events: IngestEvent[];
	rejected: RejectedEvent[];
	/** SHA-256 (hex) of the batch's events as sent: a retry has the same, a reused batchId with other events not. */
	fingerprint?: string;
}

/** Formats zod issues as `path: message`, the path in dotted form ("props.level"). */
export function describeIssues(issues: z.ZodError["issues"]): { path: string; message: string }[] {
	return issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/**
 * Validates the events of an already-valid envelope one by one (valid ones on a fast path, see {@link fastValidEvent}).
 * 1. each valid event is kept (in order);
 * 2. each invalid one becomes `{index, code, message}` in `rejected`;
 * 3. a consent event must also have consent props and a player ({@link consentEventProblems}): it is the proof of
 *    the player's choice, so one that could not serve as proof is refused, never stored half-understood.
 */
export function validateEvents(events: readonly unknown[]): { events: IngestEvent[]; rejected: RejectedEvent[] } {
	const valid: IngestEvent[] = [];
	const rejected: RejectedEvent[] = [];
	const keep = (event: IngestEvent, index: number) => {
		const problems = event.type === "consent" ? consentEventProblems(event) : [];
		if (problems.length === 0) valid.push(event);
		else rejected.push({ index, code: "invalid_event", message: problems.join("; ") });
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
