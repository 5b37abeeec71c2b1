// Tracking on the game server: the event API behind `Vantage.*`, player and server sessions, automatic error capture
// and the client tracker's gateway, all feeding one Tracker → EventSink. Every method checks its arguments (refusing
// with one warning per distinct reason), never yields and never throws on bad input. `track` checks only the shape of
// its arguments at call time; the delivery worker validates its name and props when it seals (see Tracker).
import { Players, ScriptContext } from "@rbxts/services";
import { ClientMessage, ConsentChoices, Props, ServerMessage } from "../../shared/protocol";
import {
	checkEconomy,
	checkFunnelStep,
	checkName,
	checkProgression,
	checkProps,
	checkReceipt,
	copyProps,
	EconomyEvent,
	ProgressionStatus,
} from "../../shared/validate";
import { ConsentGate, GAME_DEFAULT_CONSENT } from "../delivery/consent-gate";
import { EventSink } from "../delivery/contracts";
import { TrackingOptions } from "../options";
import { ClientGateway } from "./client-gateway";
import { ErrorCapture, ErrorReport } from "./error-capture";
import { economyShape, EventShape, funnelShape, ProgressionAttempts, progressionShape, purchaseShape } from "./events";
import { FirstVisitStore } from "./first-visit";
import { readServerFacts, robloxSessionSources } from "./player-facts";
import { Sessions, SessionSources } from "./sessions";
import { NO_PROPS, SessionRef, Tracker, TrackingCounters, Warnings } from "./tracker";

/** Listeners of what tracking refuses (the public signals). */
export interface TrackingHooks {
	/** A player's client sent a consent answer (validated): the consent module takes it. */
	consentAnswer?: (player: Player, choices: ConsentChoices, uiVersion: string) => void;
	/** A player joined, before their session begins (the consent module starts looking up their answer). */
	playerJoined?: (player: Player) => void;
	/** A player left, after their session ended. */
	playerLeft?: (userId: number) => void;
	invalidCall?: (fn: string, reason: string) => void;
	clientRejected?: (player: Player, reason: string) => void;
	/** A player's client asked for its variants (VantageClient reads them): experiments replicate them to it. */
	variantsRequested?: (player: Player) => void;
	/**
	 * A player's client showed a variation: experiments log the exposure if it is the one they assigned. Returns why
	 * it was refused (counted and reported as a refused client message), or undefined.
	 */
	clientExposure?: (player: Player, experiment: string, variation: string) => string | undefined;
}

export interface TrackingDeps {
	sink: EventSink;
	/**
	 * The consent gate every event passes before it is recorded (the consent module plugs in here).
	 * @default GAME_DEFAULT_CONSENT (everything allowed: the game answers for consent itself)
	 */
	consent?: ConsentGate;
	warnings: Warnings;
	options: TrackingOptions;
	/** Random text (HttpService:GenerateGUID) that makes this server's event ids unique. */
	serverGuid: string;
	debug?: boolean;
	hooks?: TrackingHooks;
	/** Resolves a public call's player argument; default: a Player Instance. Specs pass stand-ins. */
	playerOf?: (value: unknown) => Player | undefined;
	/** Where sessions get their facts; default: Roblox services and the first-visit DataStore. */
	sources?: SessionSources;
	/** Server facts on every session; default: read from `game`. */
	serverProps?: Props;
	/** Unix milliseconds; default DateTime. */
	now?: () => number;
	/** Seconds for rate limits and durations; default os.clock. */
	clock?: () => number;
}

/** Tracking counters plus live figures. */
export interface TrackingStats extends TrackingCounters {
	/** Script errors sent as `error` events. */
	errorsReported: number;
	/** Script errors not sent: repeats within the repeat window, or over the per-minute cap (sent later as `repeats`). */
	errorsSuppressed: number;
	/** Players with an active session. */
	activeSessions: number;
}

/** Most purchase ids remembered to ignore a receipt processed twice on this server. */
const MAX_REMEMBERED_PURCHASES = 1000;

// The hot path's builtins as upvalues: one upvalue read instead of a global (and library) lookup per call.
const clone = table.clone;
const clock = os.clock;
const metatableOf = getmetatable;
const luaType = type;

function isPlayer(value: unknown): value is Player {
	return typeIs(value, "Instance") && value.IsA("Player");
}

export class Tracking {
	readonly tracker: Tracker;
	readonly sessions: Sessions;
	readonly errors: ErrorCapture;
	readonly gateway: ClientGateway;
	private readonly progressions: ProgressionAttempts;
	private readonly playerOf: (value: unknown) => Player | undefined;
	private readonly byPlayer: ReadonlyMap<unknown, SessionRef>;
	private readonly consent: ConsentGate;
	private readonly serverProps: Props;
	private readonly serverSessionId: string;
	private readonly serverStartMs: number;
	private purchaseIds = new Set<string>();
	private purchaseOrder = new Array<string>();
	private connections = new Array<RBXScriptConnection>();
	private closed = false;

	constructor(private readonly deps: TrackingDeps) {
		const options = deps.options;
		const clock = deps.clock ?? os.clock;
		this.consent = deps.consent ?? GAME_DEFAULT_CONSENT;
		this.tracker = new Tracker(
			deps.sink,
			deps.serverGuid,
			deps.warnings,
			deps.hooks?.invalidCall,
			deps.now,
			this.consent,
		);
		this.serverProps = deps.serverProps ?? readServerFacts();
		const firstVisits =
			options.firstVisitStore === false ? undefined : new FirstVisitStore(options.firstVisitStore, !!deps.debug);
		this.sessions = new Sessions(this.tracker, deps.sources ?? robloxSessionSources(firstVisits), this.serverProps, {
			startWaitSeconds: options.sessionStartWaitSeconds,
		});
		this.byPlayer = this.sessions.byPlayer;
		this.errors = new ErrorCapture(
			{ maxPerMinute: options.maxErrorsPerMinute, repeatSeconds: options.errorRepeatSeconds },
			clock,
			(report) => this.sendError(report),
		);
		this.gateway = new ClientGateway(
			{ perSecond: options.clientEventsPerSecond, burst: options.clientEventBurst },
			this.tracker.counters,
			(player, message) => this.onClientMessage(player, message),
			(player, reason) => this.clientRejected(player, reason),
			clock,
		);
		this.progressions = new ProgressionAttempts(clock);
		this.playerOf = deps.playerOf ?? ((value) => (isPlayer(value) ? value : undefined));
		this.serverSessionId = this.tracker.nextId();
		this.serverStartMs = this.tracker.now();
	}

	/**
	 * Connects to the game: sessions for players present and joining, ScriptContext.Error, the client remote; sends
	 * the server's `session_start`.
	 */
	start(): void {
		this.tracker.emit(0, this.serverSessionId, "session_start", "server", copyProps(this.serverProps));
		this.connections.push(Players.PlayerAdded.Connect((player) => this.playerJoined(player)));
		this.connections.push(Players.PlayerRemoving.Connect((player) => this.playerLeft(player.UserId)));
		for (const player of Players.GetPlayers()) this.playerJoined(player);
		if (this.deps.options.captureErrors) {
			this.connections.push(
				ScriptContext.Error.Connect((message, stack, origin) => {
					const [ok, name] = pcall(() => origin?.GetFullName());
					this.errors.capture("server", 0, tostring(message), tostring(stack), ok ? name : undefined);
				}),
			);
		}
		if (this.deps.options.clientEvents) this.gateway.listen();
	}

	/** Ends every session (server shutdown): player `session_end`s, then the server's. Idempotent. */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		this.sessions.endAll();
		const props = copyProps(this.serverProps);
		props.duration = math.max(0, this.tracker.now() - this.serverStartMs) / 1000;
		this.tracker.emit(0, this.serverSessionId, "session_end", "server", props);
		for (const connection of this.connections) connection.Disconnect();
	}

	private playerJoined(player: Player): void {
		// Consent first: the player's events (session_start included) pass its gate from the start.
		this.deps.hooks?.playerJoined?.(player);
		this.sessions.begin(player);
	}

	private playerLeft(userId: number): void {
		this.sessions.end(userId);
		this.progressions.forget(userId);
		this.gateway.forget(userId);
		this.deps.hooks?.playerLeft?.(userId);
	}

	/** Records a player's `consent` event (never held back by the gate: it carries the answer itself). */
	emitConsent(userId: number, props: Props): void {
		this.tracker.emit(userId, this.sessions.sessionIdOf(userId), "consent", "player", props);
	}

	/** Sends a message to a player's client tracker (false when client events are off or the player has no client). */
	sendToClient(player: Player, message: ServerMessage): boolean {
		return this.gateway.send(player, message);
	}

	/** Emits an event for a checked player. */
	private emitFor(player: Player, eventType: Parameters<Tracker["emit"]>[2], shape: EventShape): boolean {
		const userId = player.UserId;
		this.tracker.emit(userId, this.sessions.sessionIdFor(player, userId), eventType, shape.name, shape.props);
		return true;
	}

	private who(fn: string, value: unknown): Player | undefined {
		const player = this.playerOf(value);
		if (!player) this.tracker.refuse(fn, "the first argument must be a Player");
		return player;
	}

	/** `Vantage.track`: a custom event. True also when the consent gate keeps it (a valid call, not recorded). */
	track(player: unknown, name: unknown, props?: unknown): boolean {
		return this.trackFast(player, name, props) || this.trackChecked(player, name, props);
	}

	/**
	 * The hot path of {@link track}: for a player with an active session, a string name and nil or plain-table props,
	 * records the call (its session, the name, a shallow copy of the props and os.clock) unless the consent gate
	 * refuses the player's analytics, and returns true; the delivery worker validates the name and props when it
	 * seals (Tracker.buildInto), refusing them then with the same reasons. Otherwise returns false having done nothing, and {@link track} takes the full path (which also
	 * explains a refusal). Cannot throw: it only indexes tables with the arguments, compares and clones a plain
	 * table, so callers need no pcall.
	 */
	trackFast(player: unknown, name: unknown, props?: unknown): boolean {
		const session = this.byPlayer.get(player);
		if (session === undefined || luaType(name) !== "string") return false;
		if (props !== undefined && (luaType(props) !== "table" || metatableOf(props as object) !== undefined)) {
			return false;
		}
		// The consent gate, before anything is copied or recorded (a custom event: analytics). An event that may wait
		// for the player's answer is copied now and recorded, at its own time, if they grant analytics.
		if (!this.consent.allows(session.userId, "analytics")) {
			if (this.consent.hold !== undefined) {
				const waiting = props !== undefined ? clone(props as object) : (NO_PROPS as object);
				const at = clock();
				this.consent.hold(session.userId, "analytics", () => this.tracker.recordCall(session, name, waiting, at));
			}
			return true;
		}
		const copy = props !== undefined ? clone(props as object) : (NO_PROPS as object);
		const t = this.tracker;
		const r = t.records;
		const k = t.used;
		r[k] = session;
		r[k + 1] = name;
		r[k + 2] = copy;
		r[k + 3] = clock();
		t.used = k + 4;
		if (k >= t.limit) t.reached();
		return true;
	}

	private trackChecked(player: unknown, name: unknown, props?: unknown): boolean {
		const p = this.who("track", player);
		if (!p) return false;
		const problem = checkName(name) ?? checkProps(props);
		if (problem !== undefined) return this.tracker.refuse("track", problem);
		return this.emitFor(p, "custom", { name: name as string, props: copyProps(props) });
	}

	/** `Vantage.progression`: a level attempt starts, completes or fails. */
	progression(player: unknown, status: unknown, path: unknown, score?: unknown): boolean {
		const p = this.who("progression", player);
		if (!p) return false;
		const problem = checkProgression(status, path, score);
		if (problem !== undefined) return this.tracker.refuse("progression", problem);
		const parts = table.clone(path as string[]);
		const attempt = this.progressions.record(p.UserId, status as ProgressionStatus, parts.join(":"));
		const shape = progressionShape(status as ProgressionStatus, parts, score as number | undefined, attempt);
		return this.emitFor(p, "progression", shape);
	}

	/** `Vantage.economy`: a currency source or sink. */
	economy(player: unknown, data: unknown): boolean {
		const p = this.who("economy", player);
		if (!p) return false;
		const problem = checkEconomy(data);
		if (problem !== undefined) return this.tracker.refuse("economy", problem);
		return this.emitFor(p, "economy", economyShape(data as EconomyEvent));
	}

	/** `Vantage.purchase`: a developer product purchase from ProcessReceipt. Each PurchaseId counts once here. */
	purchase(receipt: unknown): boolean {
		const problem = checkReceipt(receipt);
		if (problem !== undefined) return this.tracker.refuse("purchase", problem);
		const r = receipt as ReceiptInfo;
		// ProcessReceipt runs again for the same purchase until it returns PurchaseGranted.
		if (this.purchaseIds.has(r.PurchaseId)) return true;
		this.purchaseIds.add(r.PurchaseId);
		this.purchaseOrder.push(r.PurchaseId);
		if (this.purchaseOrder.size() > MAX_REMEMBERED_PURCHASES) this.purchaseIds.delete(this.purchaseOrder.shift()!);
		const shape = purchaseShape(r);
		this.tracker.emit(r.PlayerId, this.sessions.sessionIdOf(r.PlayerId), "purchase", shape.name, shape.props);
		return true;
	}

	/** `Vantage.funnelStep`: a player reached step `step` (1-based) of a funnel. */
	funnelStep(player: unknown, funnel: unknown, step: unknown, stepName: unknown): boolean {
		const p = this.who("funnelStep", player);
		if (!p) return false;
		const problem = checkFunnelStep(funnel, step, stepName);
		if (problem !== undefined) return this.tracker.refuse("funnelStep", problem);
		return this.emitFor(p, "funnel", funnelShape(funnel as string, step as number, stepName as string));
	}

	/** Reports a refused client message (the gateway counts its own refusals; checks made later count here). */
	private clientRejected(player: Player, reason: string): void {
		if (this.deps.debug) print(`[Vantage] refused a message from ${player.Name}: ${reason}`);
		this.deps.hooks?.clientRejected?.(player, reason);
	}

	/** An accepted client message, attributed to its sender. */
	onClientMessage(player: Player, message: ClientMessage): void {
		if (message.kind === "event") {
			const props = message.props ?? {};
			props.client = true;
			this.emitFor(player, "custom", { name: message.name, props });
		} else if (message.kind === "device") {
			this.sessions.setDevice(player.UserId, message.device);
		} else if (message.kind === "consent") {
			this.deps.hooks?.consentAnswer?.(player, message.choices, message.uiVersion);
		} else if (message.kind === "variants") {
			this.deps.hooks?.variantsRequested?.(player);
		} else if (message.kind === "exposure") {
			for (const [experiment, variation] of pairs(message.experiments)) {
				const expose = this.deps.hooks?.clientExposure;
				const problem = expose ? expose(player, experiment, variation) : "experiments are not running";
				if (problem !== undefined) {
					this.tracker.counters.clientRejected += 1;
					this.clientRejected(player, problem);
				}
			}
		} else if (this.deps.options.captureErrors) {
			this.errors.capture("client", player.UserId, message.message, message.stack);
		}
	}

	private sendError(report: ErrorReport): void {
		const sessionId = report.userId === 0 ? this.serverSessionId : this.sessions.sessionIdOf(report.userId);
		this.tracker.emit(report.userId, sessionId, "error", `${report.side}_error`, report.props);
	}

	stats(): TrackingStats {
		const c = this.tracker.counters;
		return {
			invalidCalls: c.invalidCalls,
			clientRejected: c.clientRejected,
			clientRateLimited: c.clientRateLimited,
			errorsReported: this.errors.reported,
			errorsSuppressed: this.errors.suppressed,
			activeSessions: this.sessions.count(),
		};
	}
}
