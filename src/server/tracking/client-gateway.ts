// The server end of the client tracker: one RemoteEvent in ReplicatedStorage that every client sends through.
// RemoteEvent: client → server calls are untrusted; the server receives the sending Player first and the values are
// copies (shared/ROBLOX-LIMITS.md). So each message is
// 1. rate-limited per player (token bucket: `burst` at once, `perSecond` sustained) before any other work;
// 2. validated and copied field by field with @rbxts/t (validate.ts: parseClientMessage);
// 3. attributed to the sending Player, whatever userId the payload claims.
// Refused messages are counted (stats) and reported to listeners; nothing reaches game code as an error.
import { ReplicatedStorage } from "@rbxts/services";
import { CLIENT_REMOTE_NAME, ClientMessage, ServerMessage } from "../../shared/protocol";
import { parseClientMessage } from "../../shared/validate";
import { TokenBucket } from "./token-bucket";
import { TrackingCounters } from "./tracker";

export interface ClientGatewayOptions {
	perSecond: number;
	burst: number;
}

export type ClientRejectReason = "rate limited" | string;

export class ClientGateway {
	private buckets = new Map<number, { bucket: TokenBucket; flooding: boolean }>();
	private remote?: RemoteEvent;

	/**
	 * @param handle - receives each accepted message with its sender
	 * @param onReject - told about refused messages: each malformed one, and the first of each flood
	 */
	constructor(
		private readonly options: ClientGatewayOptions,
		private readonly counters: TrackingCounters,
		private readonly handle: (player: Player, message: ClientMessage) => void,
		private readonly onReject: (player: Player, reason: ClientRejectReason) => void,
		private readonly now: () => number = os.clock,
	) {}

	/** Creates the RemoteEvent (or adopts one with the same name) and listens to it. */
	listen(): void {
		let remote = ReplicatedStorage.FindFirstChild(CLIENT_REMOTE_NAME);
		if (!remote || !remote.IsA("RemoteEvent")) {
			const created = new Instance("RemoteEvent");
			created.Name = CLIENT_REMOTE_NAME;
			created.Parent = ReplicatedStorage;
			remote = created;
		}
		this.remote = remote as RemoteEvent;
		this.remote.OnServerEvent.Connect((player, message) => this.receive(player, message));
	}

	/** One message from a client. Never throws. */
	receive(player: Player, message: unknown): void {
		// 1. Rate limit first: a flood costs one bucket check per message.
		let entry = this.buckets.get(player.UserId);
		if (!entry) {
			entry = { bucket: new TokenBucket(this.options.burst, this.options.perSecond, this.now), flooding: false };
			this.buckets.set(player.UserId, entry);
		}
		if (!entry.bucket.take()) {
			this.counters.clientRateLimited += 1;
			if (!entry.flooding) {
				entry.flooding = true;
				this.onReject(player, "rate limited");
			}
			return;
		}
		entry.flooding = false;
		// 2. Validate and copy.
		const parsed = parseClientMessage(message);
		if (typeIs(parsed, "string")) {
			this.counters.clientRejected += 1;
			this.onReject(player, parsed);
			return;
		}
		// 3. Attribute to the sender.
		this.handle(player, parsed);
	}

	/** Sends a message to one player's client tracker; false before listen() (client events off). Never throws. */
	send(player: Player, message: ServerMessage): boolean {
		const remote = this.remote;
		if (!remote) return false;
		const [ok] = pcall(() => remote.FireClient(player, message));
		return ok;
	}

	/** Forgets a player's bucket when they leave. */
	forget(userId: number): void {
		this.buckets.delete(userId);
	}
}
