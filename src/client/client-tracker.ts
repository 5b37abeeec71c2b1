// The client tracker: forwards client-side events, the device and client script errors to the server through the
// one RemoteEvent the server creates (CLIENT_REMOTE_NAME in ReplicatedStorage). The server trusts none of it: it
// validates, rate-limits and attributes every message to the sending Player. Checking here too only spares the
// developer a silent refusal: a bad call warns once in the client's Output.
import { ReplicatedStorage, ScriptContext } from "@rbxts/services";
import { CLIENT_REMOTE_NAME, ClientMessage, MAX_PROP_STRING_LENGTH } from "../shared/protocol";
import { checkName, checkProps, copyProps, MAX_CLIENT_PROPS } from "../shared/validate";
import { WarnOnce } from "../shared/warn-once";
import { readDevice } from "./device";

/** Options for `VantageClient.start`. */
export interface ClientStartOptions {
	/**
	 * Report this client's script errors (ScriptContext.Error) to the server, each distinct error once.
	 * @default true
	 */
	captureErrors?: boolean;
	/**
	 * Seconds to wait for the server's RemoteEvent before giving up with a warning.
	 * @default 60
	 */
	waitSeconds?: number;
}

/** Messages kept while the RemoteEvent is not there yet; older ones are dropped past it. */
const MAX_PENDING = 50;
/** Most distinct errors one client reports. */
const MAX_ERRORS = 20;

export class ClientTracker {
	private remote?: RemoteEvent;
	private pending = new Array<ClientMessage>();
	private errorsSeen = new Set<string>();
	private gaveUp = false;

	constructor(private readonly warnings: WarnOnce) {}

	/** Finds the server's RemoteEvent (in its own thread: never yields the caller), then reports the device. */
	start(options: ClientStartOptions): void {
		const waitSeconds = options.waitSeconds ?? 60;
		if (options.captureErrors !== false) {
			ScriptContext.Error.Connect((message, stack) => this.reportError(tostring(message), tostring(stack)));
		}
		task.spawn(() => {
			const found = ReplicatedStorage.WaitForChild(CLIENT_REMOTE_NAME, waitSeconds);
			if (!found || !found.IsA("RemoteEvent")) {
				this.gaveUp = true;
				this.pending.clear();
				this.warnings.warn(
					`no ${CLIENT_REMOTE_NAME} RemoteEvent after ${waitSeconds} s: call Vantage.start() on the server`,
				);
				return;
			}
			this.remote = found;
			this.remote.FireServer({ kind: "device", device: readDevice() } satisfies ClientMessage);
			for (const message of this.pending) this.remote.FireServer(message);
			this.pending.clear();
		});
	}

	/** Sends a custom event; returns false (and warns once) when the call is invalid. */
	track(name: unknown, props: unknown): boolean {
		const problem = checkName(name) ?? checkProps(props, MAX_CLIENT_PROPS);
		if (problem !== undefined) {
			this.warnings.warn(`VantageClient.track call ignored: ${problem}`);
			return false;
		}
		this.send({ kind: "event", name: name as string, props: copyProps(props) });
		return true;
	}

	private reportError(message: string, stack: string): void {
		const key = `${message}\0${stack}`;
		if (this.errorsSeen.has(key) || this.errorsSeen.size() >= MAX_ERRORS) return;
		this.errorsSeen.add(key);
		const limit = 4 * MAX_PROP_STRING_LENGTH;
		this.send({ kind: "error", message: message.sub(1, limit), stack: stack.sub(1, limit) });
	}

	private send(message: ClientMessage): void {
		if (this.remote) {
			this.remote.FireServer(message);
		} else if (!this.gaveUp) {
			this.pending.push(message);
			if (this.pending.size() > MAX_PENDING) this.pending.shift();
		}
	}
}
