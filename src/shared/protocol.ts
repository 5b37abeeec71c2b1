/**
 * The wire protocol between the SDK and the backend (`POST /v1/games/:gameId/batches`).
 * Mirrors the backend's schema in server/ingest/schema.ts; a change here is a change there.
 */

/** Event types the backend accepts. */
export type EventType =
	| "session_start"
	| "session_end"
	| "custom"
	| "progression"
	| "economy"
	| "purchase"
	| "funnel"
	| "error"
	| "exposure"
	| "consent";

/** A property value: what survives JSON and what analysts can group by. */
export type PropValue = string | number | boolean;

/** Event properties: at most {@link MAX_PROPS} keys of at most 128 characters. */
export type Props = Record<string, PropValue>;

export const MAX_PROPS = 64;
export const MAX_NAME_LENGTH = 128;
export const MAX_EVENTS_PER_BATCH = 10000;

/** One event as sent to the backend. */
export interface WireEvent {
	/** Time-ordered id, unique per game: the backend's deduplication key. */
	id: string;
	/** Unix time in milliseconds (server clock). */
	time: number;
	/** Roblox UserId; 0 for a server-level event. */
	userId: number;
	sessionId: string;
	type: EventType;
	name: string;
	props: Props;
}

/** A batch: immutable once built, so a retry with the same batchId is idempotent. */
export interface WireBatch {
	batchId: string;
	/** Unix ms when this attempt was sent; lets the backend correct clock skew. */
	sentAt: number;
	sdk: { name: string; version: string };
	events: WireEvent[];
}

/** The backend's answer to a batch. */
export interface BatchResponse {
	accepted: number;
	duplicates: number;
	rejected: { index: number; code: string; message: string }[];
}

/** Longest string property value; longer values are refused (client) or truncated (captured errors). */
export const MAX_PROP_STRING_LENGTH = 1024;

/** Name of the RemoteEvent in ReplicatedStorage that the server creates and the client tracker sends through. */
export const CLIENT_REMOTE_NAME = "VantageClientEvents";

/** The kind of device a player plays on, as the client tracker infers it from its input capabilities. */
export type DeviceClass = "desktop" | "phone" | "tablet" | "console" | "vr" | "unknown";

/** What the client tracker reports about the player's device (UserInputService, GuiService, the camera). */
export interface DeviceInfo {
	device: DeviceClass;
	touch: boolean;
	keyboard: boolean;
	mouse: boolean;
	gamepad: boolean;
	vr: boolean;
	/** GuiService:IsTenFootInterface(): a console-style UI on a TV. */
	tenFoot: boolean;
	/** Viewport size in pixels, when the camera reports one. */
	screenWidth?: number;
	screenHeight?: number;
}

/**
 * One message from the client tracker to the server (the only argument of `FireServer`). The server validates every
 * message and attributes it to the sending Player; nothing a client claims about who it is is read.
 */
export type ClientMessage =
	| { kind: "event"; name: string; props?: Props }
	| { kind: "device"; device: DeviceInfo }
	| { kind: "error"; message: string; stack: string }
	| { kind: "consent"; choices: ConsentChoices; uiVersion: string }
	/** The client reads variants: the server sends this player's {@link VariantsMessage} now and on every change. */
	| { kind: "variants" }
	/**
	 * The client showed these variations (experiment key → variation key): the server logs each exposure as its own
	 * `getVariant` would, once, after checking the variation is the one it assigned.
	 */
	| { kind: "exposure"; experiments: Record<string, string> };

/** Most experiments one client `exposure` message may name (the client sends more in later messages). */
export const MAX_EXPOSURES_PER_MESSAGE = 32;

/** A player's consent choice per category, as it crosses between client and server. */
export interface ConsentChoices {
	analytics: boolean;
	experiments: boolean;
	personalization: boolean;
}

/** Longest `uiVersion` of a consent answer (names the prompt the player saw, e.g. "vantage-1" or a game's own). */
export const MAX_UI_VERSION_LENGTH = 64;

/**
 * One message from the server to a player's client tracker (through the same RemoteEvent): the player's consent
 * state and whether to show the prompt now, or the player's variants.
 */
export type ServerMessage =
	| {
			kind: "consent";
			/** "loading" | "asking" | "answered" | "default" (see the server's consent rules). */
			status: string;
			choices: ConsentChoices;
			policyVersion?: string;
			optIn: boolean;
			ask: boolean;
			prompt: boolean;
	  }
	| VariantsMessage;

/** One experiment's variant as the server replicates it to the player's client (the server's `Variant`). */
export interface ReplicatedVariant {
	key?: string;
	index: number;
	inExperiment: boolean;
	/** The server's `VariantReason`. */
	reason: string;
}

/**
 * This player's variants and flag values, as the server decided them (to this player's client only): no other
 * player's, and nothing of the definitions (conditions, weights, QA lists). Sent when the client asks (`variants`)
 * and again whenever something it depends on changes: the config, the player's consent or attributes, their kept
 * assignments loading.
 */
export interface VariantsMessage {
	kind: "variants";
	/** Whether the server had an experiment config (false: every read answers "noConfig", flags are off). */
	config: boolean;
	/** Experiment key → the player's variant; draft experiments appear only for players forced into them. */
	experiments: Record<string, ReplicatedVariant>;
	/** Flag key → the player's value (flags serving nil are left out). */
	flags: Record<string, unknown>;
}
