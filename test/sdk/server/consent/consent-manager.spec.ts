import { describe, expect, it } from "@rbxts/jest-globals";
import {
	ConsentEventProps,
	ConsentInfo,
	ConsentManager,
	uniformChoices,
} from "../../../../src/server/consent/consent-manager";
import { ConsentLoad, ConsentPersistence } from "../../../../src/server/consent/consent-store";
import { ConsentConfig, DEFAULT_OPT_IN_REGIONS, StoredConsent } from "../../../../src/server/consent/rules";

class MemoryConsent implements ConsentPersistence {
	readonly kept = new Map<number, StoredConsent>();
	saves = 0;
	load(userId: number): ConsentLoad {
		task.wait(0.5); // a DataStore read yields
		return { ok: true, stored: this.kept.get(userId) };
	}
	save(userId: number, answer: StoredConsent): boolean {
		this.saves += 1;
		this.kept.set(userId, answer);
		return true;
	}
}

const config = (policyVersion?: string, defaultMode: "opt-in" | "opt-out" = "opt-out"): ConsentConfig => ({
	policyVersion,
	optInRegions: new Set(DEFAULT_OPT_IN_REGIONS),
	defaultMode,
});

function setup(regions: Record<number, string>, maxHeld?: number) {
	const persistence = new MemoryConsent();
	const events: { userId: number; props: ConsentEventProps }[] = [];
	const prompts: number[] = [];
	const changes: { userId: number; info: ConsentInfo }[] = [];
	const manager = new ConsentManager({
		persistence,
		region: (player) => {
			task.wait(1); // LocalizationService yields
			return regions[player.UserId];
		},
		emit: (userId, props) => events.push({ userId, props }),
		notify: (player, _info, prompt) => {
			if (prompt) prompts.push(player.UserId);
		},
		changed: (player, info) => changes.push({ userId: player.UserId, info }),
		now: () => 1000,
		maxHeld,
	});
	manager.setConfig(config("1"));
	const player = (userId: number) => ({ UserId: userId }) as unknown as Player;
	// What tracking does with an event: record it when allowed, else let it wait when the gate holds it.
	const recorded: string[] = [];
	const track = (userId: number, category: "analytics" | "experiments" | "personalization", name: string) => {
		if (manager.allows(userId, category)) recorded.push(`${userId} ${name}`);
		else if (manager.holds(userId)) manager.hold(userId, category, () => track(userId, category, name));
	};
	return { manager, persistence, events, prompts, changes, player, recorded, track };
}

describe("ConsentManager", () => {
	it("asks an EEA player, keeps their events waiting, and sends the granted ones on their answer", () => {
		const s = setup({ 1: "DE" });
		s.manager.playerJoined(s.player(1));
		s.track(1, "analytics", "early"); // while the lookups run
		task.wait(2);
		expect(s.manager.get(1)?.status).toBe("asking");
		expect(s.prompts).toEqual([1]);
		s.track(1, "analytics", "level_up");
		s.track(1, "experiments", "exposure");
		expect(s.recorded).toEqual([]);
		expect(s.manager.set(1, { analytics: true, experiments: false, personalization: false }, "prompt", "p1")).toBe(
			undefined,
		);
		// The analytics events, in order; the experiments one refused.
		expect(s.recorded).toEqual(["1 early", "1 level_up"]);
		expect(s.manager.stats.consentDiscarded).toBe(1);
		expect(s.events).toEqual([
			{
				userId: 1,
				props: {
					policyVersion: "1",
					analytics: true,
					experiments: false,
					personalization: false,
					uiVersion: "p1",
					region: "DE",
					source: "prompt",
				},
			},
		]);
		task.wait(0.1);
		expect(s.persistence.kept.get(1)?.choices.analytics).toBe(true);
	});

	it("discards everything when the player rejects all, and tracks nothing of a player who never answers", () => {
		const s = setup({ 1: "FR", 2: "GB" });
		s.manager.playerJoined(s.player(1));
		s.manager.playerJoined(s.player(2));
		task.wait(2);
		for (let i = 0; i < 3; i++) {
			s.track(1, "analytics", `a${i}`);
			s.track(2, "analytics", `b${i}`);
		}
		s.manager.set(1, uniformChoices(false), "prompt", "p1");
		s.track(1, "analytics", "after");
		s.manager.playerLeft(2);
		expect(s.recorded).toEqual([]);
		expect(s.manager.stats.consentDiscarded).toBe(6);
		expect(s.events.size()).toBe(1);
	});

	it("tracks a player outside opt-in regions at once where the game's default is opt-out, without asking", () => {
		const s = setup({ 1: "US" });
		s.manager.playerJoined(s.player(1));
		s.track(1, "analytics", "early");
		task.wait(2);
		expect(s.manager.get(1)).toEqual({
			status: "default",
			choices: uniformChoices(true),
			policyVersion: "1",
			region: "US",
			optIn: false,
			ask: false,
		});
		expect(s.prompts).toEqual([]);
		expect(s.recorded).toEqual(["1 early"]);
	});

	it("asks everyone where the game's default is opt-in, and a player of unknown country", () => {
		const s = setup({ 1: "US" });
		s.manager.setConfig(config("1", "opt-in"));
		s.manager.playerJoined(s.player(1));
		s.manager.playerJoined(s.player(2)); // no country
		task.wait(2);
		expect(s.prompts).toEqual([1, 2]);
		expect(s.manager.get(2)?.status).toBe("asking");
	});

	it("stops at once on a withdrawal and sends a consent event saying so", () => {
		const s = setup({ 1: "DE" });
		s.manager.playerJoined(s.player(1));
		task.wait(2);
		s.manager.set(1, uniformChoices(true), "prompt", "p1");
		s.track(1, "analytics", "before");
		s.manager.set(1, { analytics: false, experiments: true, personalization: true }, "api");
		s.track(1, "analytics", "after");
		s.track(1, "experiments", "exposure");
		expect(s.recorded).toEqual(["1 before", "1 exposure"]);
		expect(s.events[1]?.props.source).toBe("withdrawal");
		expect(s.events[1]?.props.analytics).toBe(false);
	});

	it("remembers an answer across sessions, and asks again when the policy version changes", () => {
		const s = setup({ 1: "DE" });
		s.manager.playerJoined(s.player(1));
		task.wait(2);
		s.manager.set(1, uniformChoices(true), "prompt", "p1");
		task.wait(0.1);
		s.manager.playerLeft(1);
		s.manager.playerJoined(s.player(1));
		task.wait(2);
		expect(s.manager.get(1)?.status).toBe("answered");
		expect(s.prompts).toEqual([1]);
		s.manager.setConfig(config("2"));
		expect(s.manager.get(1)?.status).toBe("asking");
		expect(s.prompts).toEqual([1, 1]);
		s.track(1, "analytics", "waits");
		expect(s.recorded).toEqual([]);
		s.manager.set(1, uniformChoices(true), "prompt", "p1");
		expect(s.recorded).toEqual(["1 waits"]);
		expect(s.events[1]?.props.policyVersion).toBe("2");
	});

	it("keeps at most maxHeld events per player, dropping the oldest", () => {
		const s = setup({ 1: "DE" }, 3);
		s.manager.playerJoined(s.player(1));
		task.wait(2);
		for (let i = 1; i <= 5; i++) s.track(1, "analytics", `e${i}`);
		s.manager.set(1, uniformChoices(true), "prompt", "p1");
		expect(s.recorded).toEqual(["1 e3", "1 e4", "1 e5"]);
		expect(s.manager.stats.consentHeldDropped).toBe(2);
	});

	it("refuses an answer while the game has no policy, or for a player not in the game", () => {
		const s = setup({ 1: "DE" });
		s.manager.setConfig(config(undefined));
		s.manager.playerJoined(s.player(1));
		task.wait(2);
		expect(s.prompts).toEqual([]);
		expect(s.manager.set(1, uniformChoices(true), "api")).toMatch("no consent policy");
		expect(s.manager.set(9, uniformChoices(true), "api")).toMatch("not in the game");
		expect(s.events.size()).toBe(0);
	});
});
