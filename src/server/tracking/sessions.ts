// Player sessions: one `session_start` and one `session_end` per visit of a player to this server, both carrying the
// player's profile (account, join data, country, first visit, device, server).
//
// Facts arrive at different times: the Player's own properties at once, the country (LocalizationService) and the
// first visit (one DataStore read) after a yield that can fail, the device when the client tracker reports it. Tracking
// never waits for them: events tracked meanwhile go out at once with the session's id. Only `session_start` waits,
// until every lookup has answered and the device is known, or `startWaitSeconds` have passed, whichever comes first;
// its `time` is still the moment the player joined. `session_end` carries the full profile with everything learned
// by then, so a fact that came late (a slow DataStore, a client that reported after the wait) is never lost.
import { DeviceInfo, Props } from "../../shared/protocol";
import { Tracker } from "./tracker";

/** What the Player object tells at once. */
export interface PlayerFacts {
	userId: number;
	/** Days since the account was created (Player.AccountAge). */
	accountAge: number;
	premium: boolean;
	/** Player.LocaleId, e.g. "en-us". */
	locale: string;
	/** From Player:GetJoinData(): sourcePlaceId, referredBy, teleported, launchData. */
	join: Props;
}

/** A player's first visit to the experience, from the first-visit store. */
export interface FirstVisit {
	firstVisit: boolean;
	/** Unix seconds of the player's first recorded visit. */
	firstSeen: number;
}

/** Where sessions get their facts; the real ones read Roblox services (player-facts.ts, first-visit.ts). */
export interface SessionSources {
	/** Instant facts of a Player. */
	facts: (player: Player) => PlayerFacts;
	/** Whether the player is still in the game (not after they left). */
	present: (player: Player) => boolean;
	/** ISO 3166-1 alpha-2 country; may yield and may error. */
	country: (player: Player) => string | undefined;
	/** First visit; may yield and may error. Called once per session. */
	firstVisit: (userId: number) => FirstVisit | undefined;
}

export interface SessionOptions {
	/** Longest wait for the join lookups and the device before `session_start` is sent. */
	startWaitSeconds: number;
}

interface PlayerSession {
	id: string;
	userId: number;
	startMs: number;
	profile: Props;
	lookupsPending: number;
	deviceKnown: boolean;
	startSent: boolean;
	ended: boolean;
}

/** How long an ended session's id is still given to events of that player (a PlayerRemoving handler tracking). */
const ENDED_GRACE_SECONDS = 60;

function setDeviceProps(profile: Props, device: DeviceInfo): void {
	profile.device = device.device;
	profile.touch = device.touch;
	profile.keyboard = device.keyboard;
	profile.mouse = device.mouse;
	profile.gamepad = device.gamepad;
	profile.vr = device.vr;
	profile.tenFoot = device.tenFoot;
	if (device.screenWidth !== undefined && device.screenHeight !== undefined) {
		profile.screenWidth = device.screenWidth;
		profile.screenHeight = device.screenHeight;
	}
}

function copy(props: Props): Props {
	const out: Props = {};
	for (const [k, v] of pairs(props)) out[k] = v;
	return out;
}

/** Player sessions of this server. */
export class Sessions {
	private active = new Map<number, PlayerSession>();
	/** Active sessions by the values given to {@link sessionIdFor} as Players; a session leaves when it ends. */
	private players = new Map<unknown, PlayerSession>();
	/**
	 * The same map, read-only: track's hot path finds a player's session in one lookup, and since any value can be
	 * looked up, without checking first that it is a Player.
	 */
	readonly byPlayer: ReadonlyMap<unknown, { readonly id: string; readonly userId: number }> = this.players;
	/** Sessions that ended less than {@link ENDED_GRACE_SECONDS} ago, by userId. */
	private ended = new Map<number, string>();

	constructor(
		private readonly tracker: Tracker,
		private readonly sources: SessionSources,
		private readonly serverProps: Props,
		private readonly options: SessionOptions,
	) {}

	/** Number of players with an active session. */
	count(): number {
		return this.active.size();
	}

	/**
	 * The session id for an event of this player: the active session (begun now if the player is in the game but
	 * has none yet, e.g. tracked before our PlayerAdded handler ran), a session that just ended, or "" when the
	 * player is not on this server.
	 */
	sessionIdFor(player: Player, userId: number): string {
		const active = this.active.get(userId);
		if (active) {
			this.players.set(player, active);
			return active.id;
		}
		const recent = this.ended.get(userId);
		if (recent !== undefined) return recent;
		if (!this.sources.present(player)) return "";
		const session = this.begin(player);
		this.players.set(player, session);
		return session.id;
	}

	/** The active session id of a userId, or "" (events about players that may not be here: purchases). */
	sessionIdOf(userId: number): string {
		return this.active.get(userId)?.id ?? this.ended.get(userId) ?? "";
	}

	/** Starts a session for a player who joined; idempotent. Never yields: lookups run in their own threads. */
	begin(player: Player): PlayerSession {
		const facts = this.sources.facts(player);
		const existing = this.active.get(facts.userId);
		if (existing) return existing;
		const profile = copy(this.serverProps);
		profile.accountAge = facts.accountAge;
		profile.premium = facts.premium;
		profile.locale = facts.locale;
		for (const [k, v] of pairs(facts.join)) profile[k] = v;
		const session: PlayerSession = {
			id: this.tracker.nextId(),
			userId: facts.userId,
			startMs: this.tracker.now(),
			profile,
			lookupsPending: 2,
			deviceKnown: false,
			startSent: false,
			ended: false,
		};
		this.active.set(facts.userId, session);
		this.ended.delete(facts.userId);
		this.lookup(session, () => {
			const country = this.sources.country(player);
			if (typeIs(country, "string") && country.size() === 2) session.profile.country = country.upper();
		});
		this.lookup(session, () => {
			const visit = this.sources.firstVisit(facts.userId);
			if (visit) {
				session.profile.firstVisit = visit.firstVisit;
				session.profile.firstSeen = visit.firstSeen;
			}
		});
		task.delay(this.options.startWaitSeconds, () => this.sendStart(session));
		return session;
	}

	/** Records what the client reported about the player's device. */
	setDevice(userId: number, device: DeviceInfo): void {
		const session = this.active.get(userId);
		if (!session) return;
		setDeviceProps(session.profile, device);
		session.deviceKnown = true;
		this.maybeSendStart(session);
	}

	/** Ends a player's session (they left): `session_start` if still pending, then `session_end` with the duration. */
	end(userId: number): void {
		const session = this.active.get(userId);
		if (!session) return;
		this.active.delete(userId);
		for (const [player, s] of this.players) if (s === session) this.players.delete(player);
		this.ended.set(userId, session.id);
		task.delay(ENDED_GRACE_SECONDS, () => {
			if (this.ended.get(userId) === session.id) this.ended.delete(userId);
		});
		this.sendStart(session);
		session.ended = true;
		const endMs = this.tracker.now();
		const props = copy(session.profile);
		// Milliseconds precision, in seconds: what dashboards sum and average.
		props.duration = math.max(0, endMs - session.startMs) / 1000;
		this.tracker.emit(userId, session.id, "session_end", "player", props, endMs);
	}

	/** Ends every active session (server shutdown). */
	endAll(): void {
		const ids = new Array<number>();
		for (const [userId] of this.active) ids.push(userId);
		for (const userId of ids) this.end(userId);
	}

	/** Runs one join lookup in its own thread; a failing lookup just leaves its fact out. */
	private lookup(session: PlayerSession, run: () => void): void {
		task.spawn(() => {
			pcall(run);
			session.lookupsPending -= 1;
			this.maybeSendStart(session);
		});
	}

	private maybeSendStart(session: PlayerSession): void {
		if (session.lookupsPending <= 0 && session.deviceKnown) this.sendStart(session);
	}

	private sendStart(session: PlayerSession): void {
		if (session.startSent || session.ended) return;
		session.startSent = true;
		this.tracker.emit(session.userId, session.id, "session_start", "player", copy(session.profile), session.startMs);
	}
}
