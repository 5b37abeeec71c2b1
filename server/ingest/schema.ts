import { z } from "zod";

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

export const MAX_EVENTS_PER_BATCH = 1000;
export const MAX_PROPS = 64;

const propValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type PropValue = z.infer<typeof propValue>;

const propKey = z.string().min(1).max(128);

// zod skips an own `__proto__` key when it rebuilds the record, so the prop would vanish silently; refuse it
// on the raw input instead.
const props = z.preprocess(
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
	props: props,
});
export type IngestEvent = z.infer<typeof eventSchema>;

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
export interface RejectedEvent {
	index: number;
	code: "invalid_event";
	message: string;
}

/** What POST /v1/games/:gameId/batches answers with 200. */
export interface IngestResult {
	accepted: number;
	duplicates: number;
	rejected: RejectedEvent[];
}

export interface ValidatedBatch {
	batchId: string;
	sentAt: number;
	sdk?: { name: string; version: string } | undefined;
	events: IngestEvent[];
	rejected: RejectedEvent[];
}

/** Formats zod issues as `path: message`, the path in dotted form ("props.level"). */
export function describeIssues(issues: z.ZodError["issues"]): { path: string; message: string }[] {
	return issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/**
 * Validates the events of an already-valid envelope one by one.
 * 1. each valid event is kept (in order);
 * 2. each invalid one becomes `{index, code, message}` in `rejected`.
 */
export function validateEvents(events: readonly unknown[]): { events: IngestEvent[]; rejected: RejectedEvent[] } {
	const valid: IngestEvent[] = [];
	const rejected: RejectedEvent[] = [];
	events.forEach((raw, index) => {
		const result = eventSchema.safeParse(raw);
		if (result.success) {
			valid.push(result.data);
			return;
		}
		const message = describeIssues(result.error.issues)
			.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
			.join("; ");
		rejected.push({ index, code: "invalid_event", message });
	});
	return { events: valid, rejected };
}
