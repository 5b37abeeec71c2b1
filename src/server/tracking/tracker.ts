import { Players } from "@rbxts/services";
import { IdGenerator, prefixFromGuid } from "../../shared/ids";
import { EventType, Props } from "../../shared/protocol";
import { checkName, checkProps } from "../../shared/validate";
import { WarnOnce } from "../../shared/warn-once";
import { EventSink } from "../delivery/pipeline";

function nowMs(): number {
	return DateTime.now().UnixTimestampMillis;
}

/** Validates tracking calls, enriches them into events and hands them to the delivery pipeline. */
export class Tracker {
	private readonly ids: IdGenerator;
	private sessions = new Map<number, string>();
	invalidCalls = 0;

	constructor(
		private readonly sink: EventSink,
		serverGuid: string,
		private readonly warnings: WarnOnce,
	) {
		this.ids = new IdGenerator(prefixFromGuid(serverGuid), nowMs);
	}

	private sessionOf(userId: number): string {
		let session = this.sessions.get(userId);
		if (session === undefined) {
			session = this.ids.next();
			this.sessions.set(userId, session);
		}
		return session;
	}

	/** Queues one event; never throws or yields. Returns false when the call was refused. */
	record(player: Player | undefined, eventType: EventType, name: unknown, props: unknown): boolean {
		const nameError = checkName(name);
		const propsError = nameError ?? checkProps(props);
		if (propsError !== undefined) {
			this.invalidCalls += 1;
			this.warnings.warn(`${eventType} call ignored: ${propsError}`);
			return false;
		}
		if (player !== undefined && !(typeIs(player, "Instance") && player.IsA("Player"))) {
			this.invalidCalls += 1;
			this.warnings.warn(`${eventType} call ignored: the first argument must be a Player`);
			return false;
		}
		const userId = player ? player.UserId : 0;
		const copy: Props = {};
		if (props !== undefined) for (const [k, v] of pairs(props as Props)) copy[k] = v;
		this.sink.enqueue({
			id: this.ids.next(),
			time: nowMs(),
			userId,
			sessionId: this.sessionOf(userId),
			type: eventType,
			name: name as string,
			props: copy,
		});
		return true;
	}

	/** Forgets a player's session when they leave. */
	endSession(player: Player): void {
		this.sessions.delete(player.UserId);
	}

	playersOnline(): number {
		return Players.GetPlayers().size();
	}
}
