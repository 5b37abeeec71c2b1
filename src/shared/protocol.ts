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
	| { kind: "consent"; choices: ConsentChoices; uiVersion: string };

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
 * state, and whether to show the prompt now.
 */
export type ServerMessage = {
	kind: "consent";
	/** "loading" | "asking" | "answered" | "default" (see the server's consent rules). */
	status: string;
	choices: ConsentChoices;
	policyVersion?: string;
	optIn: boolean;
	ask: boolean;
	prompt: boolean;
};
