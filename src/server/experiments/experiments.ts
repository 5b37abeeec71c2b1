// Experiments and flags on the game server: `Vantage.getVariant`, `isOn` and `getFeatureValue` over the last good
// config, the players' attributes and, for the modes that keep a player's variation (random, stratified, adaptive),
// their kept assignments. Nothing here yields or throws: DataStore work runs in its own threads, and until a
// player's kept assignments are loaded those modes answer with the deterministic hash (see `decide`).
import { ConsentGate } from "../delivery/consent-gate";
import { Players } from "@rbxts/services";
import { assign, AssignmentReason, inHoldout } from "../../shared/assignment";
import { evaluateCondition } from "../../shared/conditions";
import { Props, ReplicatedVariant, VariantsMessage } from "../../shared/protocol";
import { StratifiedAllocator, stratumOf } from "../../shared/stratify";
import { Warnings } from "../tracking/tracker";
import { AssignmentPersistence, KeptAssignments } from "./assignment-store";
import { Attributes, checkAttributes, PlayerAttributes } from "./attributes";
import { ExperimentEntry, ModeName, ParsedConfig } from "./config";
import { evaluateFlag, isTruthy } from "./flags";

/**
 * Why a player got the variant they got:
 * - `assigned`: taking part, assigned now (by hash, or drawn by the experiment's mode and kept);
 * - `stored`: taking part, with the variation kept for them earlier (random, stratified, adaptive modes);
 * - `forced`: a QA override (not counted in results, no exposure);
 * - `noConfig`: no config has arrived yet; `unknownExperiment`: the config has no such (running or draft)
 *   experiment — both give no variation key;
 * - `conditionFailed`: the player does not match the targeting condition;
 * - `loading` / `storeUnavailable`: a random, stratified or adaptive experiment before the player's kept
 *   assignments are loaded (or when they cannot be): the deterministic hash's variation, not counted, no exposure;
 * - `invalidCall`: the arguments were not a Player and a key;
 * - `consent`: the player has not agreed to experiments (consent on): control, not counted, no exposure;
 * - `holdout`: the player is in the game's global holdout: control in every experiment, no exposure (only the
 *   `$holdout` marker exposure, once per session, which measures the holdout);
 * - `notReady` (`VantageClient.getVariant` only): the server has not sent the player's variants yet;
 * - the rest come from `assign` (`notRunning`, `notCovered`, `notInNamespace`, `noHashValue`, ...): control.
 */
export type VariantReason =
	| AssignmentReason
	| "stored"
	| "noConfig"
	| "unknownExperiment"
	| "conditionFailed"
	| "loading"
	| "storeUnavailable"
	| "invalidCall"
	| "consent"
	| "notReady"
	| "holdout";

/** A player's variant of an experiment. */
export interface Variant {
	/**
	 * The key of the variation to show: control's (the first) when the player does not take part, undefined when the
	 * experiment is unknown (no config yet, or not served).
	 */
	key?: string;
	/** The variation's index; 0 is control. */
	index: number;
	/** Whether the player takes part and counts in the results (an exposure is logged). */
	inExperiment: boolean;
	reason: VariantReason;
}

export interface ExperimentsDeps {
	/** The last good config (ConfigClient.current). */
	config: () => ParsedConfig | undefined;
	attributes: PlayerAttributes;
	/** Records an `exposure` event named after the experiment for the player's session. */
	expose: (player: Player, experimentKey: string, props: Props) => void;
	/** Refuses an invalid call (counted and warned once); returns false. */
	refuse: (fn: string, reason: string) => false;
	warnings: Warnings;
	/** Where kept assignments live; without it, random, stratified and adaptive experiments assign by hash. */
	persistence?: AssignmentPersistence;
	/** Uniform in [0, 1). @default math.random */
	random?: () => number;
	/** Whether the player is in the game. @default Parent is Players */
	present?: (player: Player) => boolean;
	/** Resolves a public call's player argument. @default a Player Instance */
	playerOf?: (value: unknown) => Player | undefined;
	/**
	 * The consent gate (consent on): a player who has not agreed to `experiments` gets control and is not counted; one
	 * who has not agreed to `personalization` is targeted by their UserId alone (no country, locale, attributes).
	 * @default everything allowed
	 */
	consent?: ConsentGate;
	/**
	 * Told when what a player's variants depend on changed outside a config update: their kept assignments loaded (or
	 * failed to), or the game set attributes (the replication to their client recomputes them).
	 */
	playerChanged?: (userId: number) => void;
	/** Unix seconds (kept assignments' time). @default os.time */
	now?: () => number;
	/** Seconds, for retrying a failed load. @default os.clock */
	clock?: () => number;
}

/**
 * The name of the marker exposure that measures the global holdout: logged once per player and session, at their
 * first running experiment (getVariant, or their variants sent to their client), with `variation` "holdout" (kept out
 * of every experiment) or "exposed" (everyone else). Both groups are logged the same way, so comparing them on any
 * metric (as an experiment with this key) measures what the game's experiments together changed.
 */
export const HOLDOUT_EXPOSURE_KEY = "$holdout";

/** Seconds after a failed load of kept assignments before the next getVariant tries again. */
export const RELOAD_AFTER_SECONDS = 60;

interface PlayerState {
	load: "idle" | "loading" | "loaded" | "failed";
	failedAt: number;
	/** Kept assignments: loaded, plus drawn this session. */
	kept: KeptAssignments;
	/** Drawn this session and not written yet. */
	unsaved: KeptAssignments;
	saving: boolean;
	/** Experiment key → the variation an exposure was logged for this session. */
	exposed: Map<string, string>;
	left: boolean;
}

/** What `decide` settled on, before it becomes a Variant. */
interface Decision {
	index: number;
	inExperiment: boolean;
	reason: VariantReason;
	/** The mode that chose (a sticky mode without persistence says "deterministic"). */
	mode: ModeName;
	stratum?: string;
}

/** A variant and the decision behind it (the mode and stratum an exposure reports). */
interface Evaluation {
	variant: Variant;
	decision: Decision;
}

function isPlayer(value: unknown): value is Player {
	return typeIs(value, "Instance") && value.IsA("Player");
}

/** Most game-set attributes an exposure carries (as `attr.<name>` props, beside variation, mode and stratum). */
export const EXPOSED_ATTRIBUTES = 32;

/** Whether a variant logs an exposure: the player takes part, counts (not forced QA) and has a variation key. */
function counted(variant: Variant): boolean {
	return variant.inExperiment && variant.reason !== "forced" && variant.key !== undefined;
}

function isEmpty(t: object): boolean {
	for (const [_] of pairs(t)) return false;
	return true;
}

/** Index of the variation a uniform `u` falls in, by weight. */
function drawByWeight(weights: ReadonlyArray<number>, u: number): number {
	let cumulative = 0;
	for (let i = 0; i < weights.size(); i++) {
		cumulative += weights[i];
		if (u < cumulative) return i;
	}
	// Rounding left u past the last boundary: the last variation with a share.
	for (let i = weights.size() - 1; i >= 0; i--) if (weights[i] > 0) return i;
	return 0;
}

export class Experiments {
	private players = new Map<number, PlayerState>();
	private allocators = new Map<string, StratifiedAllocator>();
	private readonly random: () => number;
	private readonly present: (player: Player) => boolean;
	private readonly playerOf: (value: unknown) => Player | undefined;
	private readonly now: () => number;
	private readonly clock: () => number;
	private connections = new Array<RBXScriptConnection>();

	constructor(private readonly deps: ExperimentsDeps) {
		this.random = deps.random ?? (() => math.random());
		this.present = deps.present ?? ((player) => player.Parent === Players);
		this.playerOf = deps.playerOf ?? ((value) => (isPlayer(value) ? value : undefined));
		this.now = deps.now ?? (() => os.time());
		this.clock = deps.clock ?? os.clock;
	}

	/** Follows players joining and leaving (loads kept assignments on join). */
	start(): void {
		this.connections.push(Players.PlayerAdded.Connect((player) => this.playerJoined(player)));
		this.connections.push(Players.PlayerRemoving.Connect((player) => this.playerLeft(player.UserId)));
		for (const player of Players.GetPlayers()) this.playerJoined(player);
	}

	stop(): void {
		for (const connection of this.connections) connection.Disconnect();
		this.connections.clear();
	}

	/**
	 * A player joined: their attributes are remembered, and their kept assignments are loaded in the background when
	 * some experiment may need them (the config is not known yet, or has a random, stratified or adaptive one).
	 */
	playerJoined(player: Player): void {
		this.deps.attributes.join(player);
		if (!this.deps.persistence) return;
		const config = this.deps.config();
		let needed = config === undefined;
		if (config) for (const [, entry] of config.experiments) if (entry.sticky) needed = true;
		if (needed) this.startLoad(player.UserId, this.stateFor(player)!);
	}

	/** A player left: forget them; assignments drawn and not written yet get one more try. */
	playerLeft(userId: number): void {
		this.deps.attributes.forget(userId);
		const state = this.players.get(userId);
		if (!state) return;
		this.players.delete(userId);
		state.left = true;
		if (!isEmpty(state.unsaved)) this.save(userId, state);
	}

	// Public calls ----------------------------------------------------------------------------------------------------

	/** `Vantage.getVariant`. */
	getVariant(playerArg: unknown, key: unknown): Variant {
		const player = this.playerOf(playerArg);
		if (!player) return this.invalid("getVariant", "the first argument must be a Player");
		if (!typeIs(key, "string")) return this.invalid("getVariant", "the experiment key must be a string");
		const config = this.deps.config();
		if (!config) return { index: 0, inExperiment: false, reason: "noConfig" };
		const entry = config.experiments.get(key);
		if (!entry) return { index: 0, inExperiment: false, reason: "unknownExperiment" };
		const { variant, decision } = this.evaluate(player, entry, this.attributesOf(player));
		if (entry.config.status === "running") this.markHoldout(player);
		if (counted(variant)) this.logExposure(player, key, variant.key!, decision);
		return variant;
	}

	/**
	 * What the player's client may know (VantageClient.getVariant/isOn): their variant of every served experiment
	 * (a draft only when they are forced into it, so unreleased experiments stay unnamed) and every flag's value for
	 * them, decided exactly as `getVariant`/`getFeatureValue` would — no conditions, weights or QA lists. Logs no
	 * experiment exposure: the client says when it shows a variation ({@link exposeFromClient}). With a holdout and a
	 * running experiment, the player's `$holdout` marker is logged here if it was not yet (see markHoldout).
	 */
	variantsFor(player: Player): VariantsMessage {
		const message: VariantsMessage = { kind: "variants", config: false, experiments: {}, flags: {} };
		const config = this.deps.config();
		if (!config) return message;
		message.config = true;
		const attrs = this.attributesOf(player);
		for (const [, entry] of config.experiments) {
			if (entry.config.status !== "running") continue;
			this.markHoldout(player);
			break;
		}
		for (const [key, entry] of config.experiments) {
			const { variant } = this.evaluate(player, entry, attrs);
			if (entry.config.status === "draft" && variant.reason !== "forced") continue;
			const replicated: ReplicatedVariant = {
				index: variant.index,
				inExperiment: variant.inExperiment,
				reason: variant.reason,
			};
			if (variant.key !== undefined) replicated.key = variant.key;
			message.experiments[key] = replicated;
		}
		for (const [key, flag] of config.flags) {
			const value = evaluateFlag(flag, attrs).value;
			if (value !== undefined) message.flags[key] = value;
		}
		return message;
	}

	/**
	 * A client says it showed `variationKey` of `experimentKey`: logged as `getVariant` logs (once per player,
	 * experiment and session) when it is the variation the server assigns the player now and the player counts.
	 * Returns why it was refused, or undefined. The client's word is never taken for the variation.
	 */
	exposeFromClient(player: Player, experimentKey: string, variationKey: string): string | undefined {
		const config = this.deps.config();
		if (!config) return "exposure before the server had an experiment config";
		const entry = config.experiments.get(experimentKey);
		if (!entry) return `exposure for an unknown experiment "${experimentKey}"`;
		const { variant, decision } = this.evaluate(player, entry, this.attributesOf(player));
		if (!counted(variant)) return `exposure for "${experimentKey}", where the player does not count: ${variant.reason}`;
		if (variant.key !== variationKey) {
			return `exposure for variation "${variationKey}" of "${experimentKey}"; the server assigned "${variant.key}"`;
		}
		this.logExposure(player, experimentKey, variationKey, decision);
		return undefined;
	}

	/** `Vantage.isOn`. */
	isOn(playerArg: unknown, key: unknown): boolean {
		return isTruthy(this.featureValue("isOn", playerArg, key));
	}

	/** `Vantage.getFeatureValue`. */
	getFeatureValue(playerArg: unknown, key: unknown, fallback?: unknown): unknown {
		return this.featureValue("getFeatureValue", playerArg, key) ?? fallback;
	}

	/** `Vantage.setAttributes`. */
	setAttributes(playerArg: unknown, attributes: unknown): boolean {
		const player = this.playerOf(playerArg);
		if (!player) return this.deps.refuse("setAttributes", "the first argument must be a Player");
		const problem = checkAttributes(attributes);
		if (problem !== undefined) return this.deps.refuse("setAttributes", problem);
		this.deps.attributes.set(player, attributes as Props);
		this.deps.playerChanged?.(player.UserId);
		return true;
	}

	// Deciding --------------------------------------------------------------------------------------------------------

	/** A player's variant of a served experiment, consent applied (a player who refused experiments gets control). */
	private evaluate(player: Player, entry: ExperimentEntry, attrs: Attributes): Evaluation {
		let decision = this.decide(player, entry, attrs);
		if (decision.reason !== "forced" && this.deps.consent?.allows(player.UserId, "experiments") === false) {
			decision = { index: 0, inExperiment: false, reason: "consent", mode: decision.mode };
		}
		const key = entry.config.variations[decision.index]?.key;
		return {
			variant: { key, index: decision.index, inExperiment: decision.inExperiment, reason: decision.reason },
			decision,
		};
	}

	/**
	 * The variant of a player:
	 * 1. whether they take part, by `assign` (over equal weights for the sticky modes, so moving adaptive weights
	 *    never move anyone in or out); a QA override wins at once;
	 * 1b. a player in the game's global holdout → control (before anything is drawn or kept for them);
	 * 2. the targeting condition must hold → else control;
	 * 3. not taking part (not running, not covered, outside the namespace, ...) → control;
	 * 4. deterministic mode → the hash's variation;
	 * 5. sticky modes without persistence (or for a player not in the game) → as deterministic;
	 * 6. a variation kept for them (same seed) → it;
	 * 7. kept assignments not loaded yet (or not loadable) → the hash's variation as a fallback, not counted;
	 * 8. else drawn: random and adaptive by the variations' weights, stratified by the stratum's counters; kept.
	 */
	private decide(player: Player, entry: ExperimentEntry, attrs: Attributes): Decision {
		const mode = entry.mode.mode;
		const base = assign(entry.eligibility, attrs);
		if (base.reason === "forced") return { index: base.variationIndex, inExperiment: true, reason: "forced", mode };
		const holdout = this.deps.config()?.holdout;
		if (holdout !== undefined && inHoldout(holdout, player.UserId)) {
			return { index: 0, inExperiment: false, reason: "holdout", mode };
		}
		const condition = entry.config.condition;
		if (condition !== undefined && !evaluateCondition(condition, attrs)) {
			return { index: 0, inExperiment: false, reason: "conditionFailed", mode };
		}
		if (!base.inExperiment) return { index: 0, inExperiment: false, reason: base.reason, mode };
		if (!entry.sticky) return { index: base.variationIndex, inExperiment: true, reason: base.reason, mode };

		const byHash = (): Decision => {
			const a = assign(entry.config, attrs);
			return { index: a.variationIndex, inExperiment: a.inExperiment, reason: a.reason, mode: "deterministic" };
		};
		const state = this.deps.persistence ? this.stateFor(player) : undefined;
		if (!state) return byHash();

		const key = entry.config.key;
		const seed = entry.config.seed ?? key;
		const kept = state.kept[key];
		if (kept !== undefined && kept.s === seed) {
			const index = entry.config.variations.findIndex((v) => v.key === kept.k);
			if (index >= 0) return { index, inExperiment: true, reason: "stored", mode };
		}
		if (state.load === "idle" || (state.load === "failed" && this.clock() - state.failedAt >= RELOAD_AFTER_SECONDS)) {
			this.startLoad(player.UserId, state);
		}
		if (state.load !== "loaded") {
			const fallback = byHash();
			const reason = state.load === "failed" ? "storeUnavailable" : "loading";
			return { index: fallback.index, inExperiment: false, reason, mode };
		}

		let index: number;
		let stratum: string | undefined;
		if (entry.mode.mode === "stratified") {
			stratum = stratumOf(entry.mode.strata, attrs);
			let allocator = this.allocators.get(key);
			if (!allocator) {
				allocator = new StratifiedAllocator();
				this.allocators.set(key, allocator);
			}
			index = allocator.choose(stratum, entry.weights, this.random());
		} else {
			index = drawByWeight(entry.weights, this.random());
		}
		const drawn = { k: entry.config.variations[index].key, s: seed, t: this.now() };
		state.kept[key] = drawn;
		state.unsaved[key] = drawn;
		this.save(player.UserId, state);
		return { index, inExperiment: true, reason: "assigned", mode, stratum };
	}

	private featureValue(fn: string, playerArg: unknown, key: unknown): unknown {
		const player = this.playerOf(playerArg);
		if (!player) {
			this.deps.refuse(fn, "the first argument must be a Player");
			return undefined;
		}
		if (!typeIs(key, "string")) {
			this.deps.refuse(fn, "the flag key must be a string");
			return undefined;
		}
		const flag = this.deps.config()?.flags.get(key);
		if (!flag) return undefined;
		return evaluateFlag(flag, this.attributesOf(player)).value;
	}

	/** What targeting may read of a player: everything known, or (personalization refused) the UserId alone. */
	private attributesOf(player: Player): Attributes {
		if (this.deps.consent?.allows(player.UserId, "personalization") === false) return { id: player.UserId };
		return this.deps.attributes.of(player);
	}

	private invalid(fn: string, reason: string): Variant {
		this.deps.refuse(fn, reason);
		return { index: 0, inExperiment: false, reason: "invalidCall" };
	}

	/**
	 * The player's `$holdout` marker ({@link HOLDOUT_EXPOSURE_KEY}), once per session, when the game has a holdout and
	 * the player has agreed to experiments. Whether they are held out never decides whether it is logged.
	 */
	private markHoldout(player: Player): void {
		const holdout = this.deps.config()?.holdout;
		if (holdout === undefined || this.deps.consent?.allows(player.UserId, "experiments") === false) return;
		const state = this.stateFor(player);
		if (!state || state.exposed.has(HOLDOUT_EXPOSURE_KEY)) return;
		const variation = inHoldout(holdout, player.UserId) ? "holdout" : "exposed";
		state.exposed.set(HOLDOUT_EXPOSURE_KEY, variation);
		this.deps.expose(player, HOLDOUT_EXPOSURE_KEY, { variation, mode: "deterministic" });
	}

	/** One exposure per player, experiment and session — again only if their variation changed (it then counts apart). */
	private logExposure(player: Player, experimentKey: string, variationKey: string, decision: Decision): void {
		const state = this.stateFor(player);
		if (!state || state.exposed.get(experimentKey) === variationKey) return;
		state.exposed.set(experimentKey, variationKey);
		const props: Props = { variation: variationKey, mode: decision.mode };
		if (decision.stratum !== undefined) props.stratum = decision.stratum;
		// The attributes the game set, as they were at first sight of the variation, so results can be broken down by
		// them (`attr:<name>`): only with personalization consent, as targeting, and at most EXPOSED_ATTRIBUTES of them.
		if (this.deps.consent?.allows(player.UserId, "personalization") !== false) {
			let added = 0;
			for (const [name, value] of pairs(this.deps.attributes.fromGame(player))) {
				if (added >= EXPOSED_ATTRIBUTES) break;
				props[`attr.${name}`] = value;
				added += 1;
			}
		}
		this.deps.expose(player, experimentKey, props);
	}

	// Player state and persistence ---------------------------------------------------------------------------------

	/** The state of a player in the game (created on first need); undefined for a player who is not. */
	private stateFor(player: Player): PlayerState | undefined {
		const userId = player.UserId;
		const existing = this.players.get(userId);
		if (existing) return existing;
		if (!this.present(player)) return undefined;
		const state: PlayerState = {
			load: "idle",
			failedAt: 0,
			kept: {},
			unsaved: {},
			saving: false,
			exposed: new Map(),
			left: false,
		};
		this.players.set(userId, state);
		return state;
	}

	private startLoad(userId: number, state: PlayerState): void {
		const persistence = this.deps.persistence;
		if (!persistence || state.load === "loading" || state.load === "loaded") return;
		state.load = "loading";
		task.spawn(() => {
			const result = persistence.load(userId);
			if (state.left) return;
			if (result.ok) {
				// Entries drawn meanwhile (none while loading; kept for safety) win over loaded ones.
				for (const [key, entry] of pairs(result.kept)) if (state.kept[key] === undefined) state.kept[key] = entry;
				state.load = "loaded";
				this.deps.playerChanged?.(userId);
			} else {
				state.load = "failed";
				state.failedAt = this.clock();
				this.deps.warnings.warn(
					`could not load kept experiment assignments (${result.message}); random, stratified and adaptive experiments use the hash until they load`,
				);
				this.deps.playerChanged?.(userId);
			}
		});
	}

	/** Writes what is unsaved, one write at a time per player; a failed write is tried again with the next one. */
	private save(userId: number, state: PlayerState): void {
		const persistence = this.deps.persistence;
		if (!persistence || state.saving) return;
		state.saving = true;
		task.spawn(() => {
			while (!isEmpty(state.unsaved)) {
				const batch = state.unsaved;
				state.unsaved = {};
				if (!persistence.save(userId, batch)) {
					for (const [key, entry] of pairs(batch)) state.unsaved[key] ??= entry;
					this.deps.warnings.warn("could not keep experiment assignments in DataStore; will try again");
					break;
				}
			}
			state.saving = false;
		});
	}
}
