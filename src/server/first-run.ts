// First run: what keeps a game server from sending events, and what to tell the developer. Three things do, and each
// is said once, in plain words, with the setting that fixes it; the game never sees an error and nothing retries in a
// loop (Roblox behaviour: shared/ROBLOX-LIMITS.md rows "HttpService" and "Secrets"; the creator docs on
// HttpService.HttpEnabled, HttpService:GetSecret and DataModel.GameId):
//   - an unpublished place (Studio, GameId or PlaceId 0): DataStores error ("You must publish this place to the web
//     to access DataStore"), secrets and Allow HTTP Requests need a published experience. Nothing can be sent from
//     this session, so the SDK runs as a dry run (everything local, counted) and says to publish;
//   - HTTP requests off (HttpEnabled false; RequestAsync errors "Http requests are not enabled"): events wait in
//     memory (bounded), and on a live server move to DataStore after `spillAfterSeconds`, so a server started after
//     the setting is fixed sends them. HttpEnabled is read again every RECHECK_SECONDS (Studio's command bar can set it
//     during a play test);
//   - no game key: `gameKeySecret` empty, or GetSecret cannot find it ("Can't find secret with given key": local test
//     servers only see Studio's local secrets, and a live server only sees the secrets it started with). Events are
//     kept the same way.
import { HttpService, RunService } from "@rbxts/services";
import { Warnings } from "./tracking/tracker";

/** What keeps this server from sending. */
export type Blocker = "unpublished" | "httpOff" | "noSecret";

/** What the server knows about its place, read at start and again every RECHECK_SECONDS. */
export interface PlaceFacts {
	/** RunService:IsStudio(). */
	studio: boolean;
	gameId: number;
	placeId: number;
	/** HttpService.HttpEnabled; undefined when it cannot be read (RequestAsync then tells). */
	httpEnabled?: boolean;
	/** HttpService:GetSecret found the game key's secret (false when no secret name is set). */
	secretFound: boolean;
}

/** Seconds between reads of HttpEnabled and the secret while the server runs. */
export const RECHECK_SECONDS = 30;

/**
 * The blockers of a place, most fundamental first.
 * 1. Studio with GameId or PlaceId 0 → unpublished, alone (publishing comes before the other two settings);
 * 2. HttpEnabled false → httpOff;
 * 3. the secret not found → noSecret.
 *
 * @example
 * findBlockers({ studio: true, gameId: 0, placeId: 0, httpEnabled: false, secretFound: false }) // → ["unpublished"]
 */
export function findBlockers(facts: PlaceFacts): Blocker[] {
	if (facts.studio && (facts.gameId === 0 || facts.placeId === 0)) return ["unpublished"];
	const blockers = new Array<Blocker>();
	if (facts.httpEnabled === false) blockers.push("httpOff");
	if (!facts.secretFound) blockers.push("noSecret");
	return blockers;
}

/** What a message needs to know besides the blocker. */
export interface MessageContext {
	studio: boolean;
	/** The `gameKeySecret` option ("" when it was given empty). */
	secretName: string;
	maxQueuedEvents: number;
}

/** The one line said for a blocker: what is wrong, what to do, and what happens to the events meanwhile. */
export function blockerMessage(blocker: Blocker, context: MessageContext): string {
	const kept = context.studio
		? `Events wait in memory (up to ${context.maxQueuedEvents}) until then.`
		: "Events are kept and saved to DataStore; a server started after the fix sends them.";
	switch (blocker) {
		case "unpublished":
			return "this place is not published, so nothing is sent or saved (events are checked and counted like a dry run). Publish it (File > Publish to Roblox), then turn on Game Settings > Security > Allow HTTP Requests and add the game key secret.";
		case "httpOff":
			return `HTTP requests are off. Turn on Game Settings > Security > Allow HTTP Requests. ${kept}`;
		case "noSecret": {
			if (context.secretName === "") {
				return `no game key: the \`gameKeySecret\` option is empty. Set it to the name of the secret holding your game key (default "vantage_game_key"). ${kept}`;
			}
			const where = context.studio
				? "In Studio add it under Game Settings > Security > Secrets (local secrets) and press Play again; for live servers add it in the Creator Hub (your experience > Secrets)."
				: "Add it in the Creator Hub (your experience > Secrets); running servers keep the secrets they started with.";
			return `no game key: the secret "${context.secretName}" was not found. ${where} ${kept}`;
		}
	}
}

/** Reads the place's facts from Roblox (GetSecret runs locally: it sends nothing). Never throws. */
export function readPlaceFacts(secretName: string): PlaceFacts {
	const [httpRead, httpEnabled] = pcall(() => HttpService.HttpEnabled);
	const secretFound = secretName !== "" && pcall(() => HttpService.GetSecret(secretName))[0];
	return {
		studio: RunService.IsStudio(),
		gameId: game.GameId,
		placeId: game.PlaceId,
		httpEnabled: httpRead ? httpEnabled === true : undefined,
		secretFound,
	};
}

/**
 * Whether this server may make requests now: HTTP off or no game key (see {@link findBlockers}), read at most every
 * RECHECK_SECONDS, each said once per server (through WarnOnce) the first time it is found. Shared by delivery and the
 * experiment config, so both stop and start together and the developer reads each message once.
 */
export class SendGate {
	/** The blockers found at the last read. */
	blockers = new Array<Blocker>();
	/** os.clock of the next read. */
	checkAt = -math.huge;
	private readonly told = new Set<Blocker>();

	constructor(
		private readonly context: MessageContext,
		private readonly warnings: Warnings,
		private readonly read: () => PlaceFacts = () => readPlaceFacts(context.secretName),
		private readonly clock: () => number = os.clock,
	) {}

	/** True when nothing blocks requests. Reads the facts again when RECHECK_SECONDS have passed. Never throws. */
	open(): boolean {
		const now = this.clock();
		if (now >= this.checkAt) {
			this.checkAt = now + RECHECK_SECONDS;
			// An unpublished place never gets here: start() runs it as a dry run, which makes no requests.
			this.blockers = findBlockers(this.read()).filter((b) => b !== "unpublished");
			for (const blocker of this.blockers) this.tell(blocker);
		}
		return this.blockers.size() === 0;
	}

	/** RequestAsync refused as "not enabled" although HttpEnabled read true: off until the next read. */
	httpRefused(): void {
		if (!this.blockers.includes("httpOff")) this.blockers.push("httpOff");
		this.checkAt = this.clock() + RECHECK_SECONDS;
		this.tell("httpOff");
	}

	/** Says a blocker's message (once per server). */
	tell(blocker: Blocker): void {
		if (this.told.has(blocker)) return;
		this.told.add(blocker);
		this.warnings.warn(blockerMessage(blocker, this.context));
	}
}
