// The client tracker: forwards client-side events, the device and client script errors to the server through the
// one RemoteEvent the server creates (CLIENT_REMOTE_NAME in ReplicatedStorage). The server trusts none of it: it
// validates, rate-limits and attributes every message to the sending Player. Checking here too only spares the
// developer a silent refusal: a bad call warns once in the client's Output.
// Variants go the other way: the server replicates this player's variants and flag values (it asks for them once it
// connects), and the client reads them without yielding; the first read of a variation that counts tells the server,
// which logs the exposure after checking it is the variation it assigned.
import { ReplicatedStorage, ScriptContext } from "@rbxts/services";
import Signal from "@rbxts/signal";
import {
	CLIENT_REMOTE_NAME,
	ClientMessage,
	ConsentChoices,
	MAX_EXPOSURES_PER_MESSAGE,
	MAX_PROP_STRING_LENGTH,
	MAX_UI_VERSION_LENGTH,
	ReplicatedVariant,
} from "../shared/protocol";
import type { Variant, VariantReason } from "../server/experiments/experiments";
import { checkName, checkProps, copyProps, MAX_CLIENT_PROPS } from "../shared/validate";
import { WarnOnce } from "../shared/warn-once";
import { ConsentPrompt, ConsentPromptOptions } from "./consent-prompt";
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
	/**
	 * The built-in consent prompt, shown when the server asks for an answer (where opt-in applies, or after a new
	 * policy version): its style and texts, or false to show the game's own UI instead (listen to
	 * `VantageClient.consent.promptRequested` and call `VantageClient.consent.answer`).
	 * @default {} (the built-in prompt, default style)
	 */
	consentPrompt?: ConsentPromptOptions | false;
	/**
	 * Ask the server for this player's variants and flag values (`VantageClient.getVariant`, `isOn`,
	 * `getFeatureValue`); false when the client reads none (the server then sends nothing).
	 * @default true
	 */
	variants?: boolean;
}

/** The local player's consent, as the server decided it (`VantageClient.consent.get()`). */
export interface ClientConsentState {
	/** "loading" (being looked up), "asking" (awaiting an answer), "answered", or "default" (no answer needed). */
	status: string;
	/** What applies now, per category. */
	choices: ConsentChoices;
	/** The policy version in effect, when the game has published one. */
	policyVersion?: string;
	/** Whether opt-in applies to this player. */
	optIn: boolean;
	/** Whether the player should be asked. */
	ask: boolean;
}

export interface ClientConsentSignals {
	consentChanged: Signal<(state: ClientConsentState) => void>;
	promptRequested: Signal<(state: ClientConsentState) => void>;
}

function isChoices(value: unknown): value is ConsentChoices {
	if (!typeIs(value, "table")) return false;
	const c = value as Record<string, unknown>;
	return typeIs(c.analytics, "boolean") && typeIs(c.experiments, "boolean") && typeIs(c.personalization, "boolean");
}

/** The player's variants as the server last sent them. */
interface VariantsState {
	config: boolean;
	experiments: Map<string, ReplicatedVariant>;
	flags: Map<string, unknown>;
}

const isReplicatedVariant = (value: unknown): value is ReplicatedVariant => {
	if (!typeIs(value, "table")) return false;
	const v = value as Record<string, unknown>;
	return (
		typeIs(v.index, "number") &&
		typeIs(v.inExperiment, "boolean") &&
		typeIs(v.reason, "string") &&
		(v.key === undefined || typeIs(v.key, "string"))
	);
};

/** The server's `variants` message as this client keeps it (entries of the wrong shape are left out). */
function parseVariants(m: Record<string, unknown>): VariantsState {
	const experiments = new Map<string, ReplicatedVariant>();
	const flags = new Map<string, unknown>();
	if (typeIs(m.experiments, "table")) {
		for (const [key, value] of pairs(m.experiments as Record<string, unknown>)) {
			if (typeIs(key, "string") && isReplicatedVariant(value)) experiments.set(key, value);
		}
	}
	if (typeIs(m.flags, "table")) {
		for (const [key, value] of pairs(m.flags as Record<string, unknown>)) {
			if (typeIs(key, "string")) flags.set(key, value);
		}
	}
	return { config: m.config === true, experiments, flags };
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
	private consentState?: ClientConsentState;
	private prompt?: ConsentPrompt;
	private variantsState?: VariantsState;
	/** Experiment key → the variation the server was told this client showed. */
	private exposed = new Map<string, string>();
	/** Exposures to send at the end of this frame, together. */
	private exposures = new Map<string, string>();
	private exposing = false;

	/**
	 * @param signals.consentChanged - fires `(state)` whenever the server tells this client its consent state
	 * @param signals.promptRequested - fires when the server asks this client to show the consent prompt
	 */
	constructor(
		private readonly warnings: WarnOnce,
		readonly signals: ClientConsentSignals = {
			consentChanged: new Signal<(state: ClientConsentState) => void>(),
			promptRequested: new Signal<(state: ClientConsentState) => void>(),
		},
		/** Fires when the server sends this player's variants (the first time, and on every change). */
		readonly variantsChanged = new Signal<() => void>(),
	) {}

	/** Finds the server's RemoteEvent (in its own thread: never yields the caller), then reports the device. */
	start(options: ClientStartOptions): void {
		const waitSeconds = options.waitSeconds ?? 60;
		if (options.consentPrompt !== false) {
			this.prompt = new ConsentPrompt(options.consentPrompt ?? {}, (choices, uiVersion) =>
				this.answerConsent(choices, uiVersion),
			);
		}
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
			this.remote.OnClientEvent.Connect((message: unknown) => this.receive(message));
			this.remote.FireServer({ kind: "device", device: readDevice() } satisfies ClientMessage);
			if (options.variants !== false) this.remote.FireServer({ kind: "variants" } satisfies ClientMessage);
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

	/**
	 * Opens the built-in prompt at the player's current choices (players may change their mind at any time). False
	 * when the built-in prompt is turned off or the server has not sent the player's state yet.
	 */
	showPrompt(): boolean {
		if (!this.prompt || !this.consentState) return false;
		this.prompt.show(this.consentState.choices);
		return true;
	}

	/** The consent state the server last sent, or undefined before it did. */
	consent(): ClientConsentState | undefined {
		return this.consentState;
	}

	/**
	 * Sends the player's answer to the server (from the SDK's prompt or a game's own); the server records it, keeps
	 * it and answers with the new state. Returns false (and warns once) when the call is invalid.
	 */
	answerConsent(choices: unknown, uiVersion: unknown): boolean {
		if (!isChoices(choices)) {
			this.warnings.warn("VantageClient.consent.answer needs { analytics, experiments, personalization } booleans");
			return false;
		}
		if (!typeIs(uiVersion, "string") || uiVersion.size() < 1 || uiVersion.size() > MAX_UI_VERSION_LENGTH) {
			this.warnings.warn(`VantageClient.consent.answer needs a uiVersion of 1 to ${MAX_UI_VERSION_LENGTH} characters`);
			return false;
		}
		const copy = {
			analytics: choices.analytics,
			experiments: choices.experiments,
			personalization: choices.personalization,
		};
		this.send({ kind: "consent", choices: copy, uiVersion });
		return true;
	}

	/**
	 * The player's variant of an experiment, as the server decided it (never yields): "notReady" before the server
	 * sent the player's variants, then what the server's `getVariant` answers. The first read of a variation that
	 * counts tells the server, which logs the exposure.
	 */
	getVariant(key: unknown): Variant {
		if (!typeIs(key, "string")) {
			this.warnings.warn("VantageClient.getVariant: the experiment key must be a string");
			return { index: 0, inExperiment: false, reason: "invalidCall" };
		}
		const state = this.variantsState;
		if (!state) return { index: 0, inExperiment: false, reason: "notReady" };
		if (!state.config) return { index: 0, inExperiment: false, reason: "noConfig" };
		const v = state.experiments.get(key);
		if (!v) return { index: 0, inExperiment: false, reason: "unknownExperiment" };
		if (v.inExperiment && v.reason !== "forced" && v.key !== undefined && this.exposed.get(key) !== v.key) {
			this.exposed.set(key, v.key);
			this.expose(key, v.key);
		}
		return { key: v.key, index: v.index, inExperiment: v.inExperiment, reason: v.reason as VariantReason };
	}

	/** A flag's value for the player as the server decided it; undefined before the variants arrived or when off. */
	featureValue(key: unknown, fn: string): unknown {
		if (!typeIs(key, "string")) {
			this.warnings.warn(`VantageClient.${fn}: the flag key must be a string`);
			return undefined;
		}
		return this.variantsState?.flags.get(key);
	}

	/** Whether the server has sent this player's variants. */
	variantsReady(): boolean {
		return this.variantsState !== undefined;
	}

	/** Yields until the player's variants arrive or `timeout` seconds pass; whether they arrived. */
	waitForVariants(timeout: number): boolean {
		if (this.variantsState) return true;
		const thread = coroutine.running();
		let done = false;
		const finish = (arrived: boolean) => {
			if (done) return;
			done = true;
			connection.Disconnect();
			task.spawn(thread, arrived);
		};
		const connection = this.variantsChanged.Connect(() => finish(true));
		task.delay(timeout, () => finish(false));
		const [arrived] = coroutine.yield();
		return arrived === true;
	}

	/** Queues an exposure; the frame's exposures go in one message (a few per message, within the rate limit). */
	private expose(experiment: string, variation: string): void {
		this.exposures.set(experiment, variation);
		if (this.exposing) return;
		this.exposing = true;
		task.defer(() => {
			this.exposing = false;
			let batch: Record<string, string> = {};
			let count = 0;
			for (const [key, value] of this.exposures) {
				batch[key] = value;
				count += 1;
				if (count === MAX_EXPOSURES_PER_MESSAGE) {
					this.send({ kind: "exposure", experiments: batch });
					batch = {};
					count = 0;
				}
			}
			if (count > 0) this.send({ kind: "exposure", experiments: batch });
			this.exposures.clear();
		});
	}

	/** A message from the server: the player's consent state (and whether to show the prompt), or their variants. */
	private receive(message: unknown): void {
		if (!typeIs(message, "table")) return;
		const m = message as Record<string, unknown>;
		if (m.kind === "variants") {
			this.variantsState = parseVariants(m);
			this.variantsChanged.Fire();
			return;
		}
		if (m.kind !== "consent" || !typeIs(m.status, "string") || !isChoices(m.choices)) return;
		const state: ClientConsentState = {
			status: m.status,
			choices: m.choices,
			policyVersion: typeIs(m.policyVersion, "string") ? m.policyVersion : undefined,
			optIn: m.optIn === true,
			ask: m.ask === true,
		};
		this.consentState = state;
		this.signals.consentChanged.Fire(state);
		if (m.prompt === true) {
			this.signals.promptRequested.Fire(state);
			this.prompt?.show(state.choices);
		}
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
