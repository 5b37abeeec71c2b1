// Stand-ins for the experiments specs: /v1/config documents, kept assignments in memory (with latency and failures),
// and an Experiments wired to stand-in players that records exposures and refused calls.
import {
	AssignmentPersistence,
	KeptAssignments,
	LoadResult,
} from "../../../../src/server/experiments/assignment-store";
import { PlayerAttributes } from "../../../../src/server/experiments/attributes";
import { ParsedConfig, parseConfig, SdkExperiment, SdkFlag } from "../../../../src/server/experiments/config";
import { Experiments, ExperimentsDeps } from "../../../../src/server/experiments/experiments";
import { Props } from "../../../../src/shared/protocol";
import { isFakePlayer, RecordingWarnings } from "../tracking/fakes";

/** A running, deterministic experiment with variations "control" and "treatment", plus overrides. */
export function experiment(key: string, overrides: Partial<SdkExperiment> = {}): SdkExperiment {
	return {
		key,
		status: "running",
		variations: [
			{ key: "control", weight: 0.5 },
			{ key: "treatment", weight: 0.5 },
		],
		coverage: 1,
		hashAttribute: "id",
		seed: key,
		hashVersion: 2,
		assignment: { mode: "deterministic" },
		...overrides,
	};
}

/** A flag switched on for everyone, plus overrides. */
export function flag(key: string, overrides: Partial<SdkFlag> = {}): SdkFlag {
	return {
		key,
		enabled: true,
		defaultValue: false,
		variations: [{ key: "on", value: true, weight: 1 }],
		coverage: 1,
		hashAttribute: "id",
		seed: key,
		hashVersion: 2,
		...overrides,
	};
}

/** A /v1/config document as the backend builds it. */
export function configDocument(experiments: SdkExperiment[], flags: SdkFlag[] = []): object {
	return { gameId: "4242", experiments, flags };
}

export function parsed(experiments: SdkExperiment[], flags: SdkFlag[] = []): ParsedConfig {
	return parseConfig(configDocument(experiments, flags))!;
}

/** Kept assignments in memory, shared by the "servers" given it; loads and saves can wait and fail. */
export class MemoryPersistence implements AssignmentPersistence {
	readonly kept = new Map<number, KeptAssignments>();
	loads = 0;
	saves = 0;
	latency = 0;
	failLoads = 0;
	failSaves = 0;

	load(userId: number): LoadResult {
		this.loads += 1;
		if (this.latency > 0) task.wait(this.latency);
		if (this.failLoads > 0) {
			this.failLoads -= 1;
			return { ok: false, message: "502: API Services rejected request" };
		}
		return { ok: true, kept: table.clone(this.kept.get(userId) ?? {}) };
	}

	save(userId: number, additions: KeptAssignments): boolean {
		this.saves += 1;
		if (this.latency > 0) task.wait(this.latency);
		if (this.failSaves > 0) {
			this.failSaves -= 1;
			return false;
		}
		const current = this.kept.get(userId) ?? {};
		for (const [key, entry] of pairs(additions)) if (current[key] === undefined) current[key] = entry;
		this.kept.set(userId, current);
		return true;
	}
}

export interface Exposure {
	userId: number;
	experiment: string;
	props: Props;
}

/** Stand-in player facts: everything from the fake's table. */
function fakeFacts(player: Player) {
	const p = player as unknown as { UserId: number; AccountAge: number; premium: boolean; LocaleId: string };
	return { userId: p.UserId, accountAge: p.AccountAge, premium: p.premium, locale: p.LocaleId, join: {} };
}

/** An Experiments over a settable config, recording exposures and refusals. */
export function fakeExperiments(initial: ParsedConfig | undefined, deps: Partial<ExperimentsDeps> = {}) {
	let config = initial;
	const exposures = new Array<Exposure>();
	const refused = new Array<string>();
	const warnings = new RecordingWarnings();
	const attributes = new PlayerAttributes(fakeFacts);
	const experiments = new Experiments({
		config: () => config,
		attributes,
		expose: (player, key, props) => exposures.push({ userId: player.UserId, experiment: key, props }),
		refuse: (fn, reason) => {
			refused.push(`${fn}: ${reason}`);
			return false;
		},
		warnings,
		playerOf: (value) => (isFakePlayer(value) ? value : undefined),
		present: (player) => (player as unknown as { present: boolean }).present,
		...deps,
	});
	return {
		experiments,
		attributes,
		exposures,
		refused,
		warnings,
		setConfig: (replacement: ParsedConfig | undefined) => (config = replacement),
	};
}

/** A seeded uniform generator (Park–Miller), so draws are the same on every run. */
export function seededRandom(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 48271) % 2147483647;
		return state / 2147483647;
	};
}
