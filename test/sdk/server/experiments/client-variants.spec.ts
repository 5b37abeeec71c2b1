// Client-side variants, the server's half: what a player's client is sent (Experiments.variantsFor), when it is sent
// (ClientVariants), and how a client's word that it showed a variation is checked before an exposure is logged.
import { describe, expect, it } from "@rbxts/jest-globals";
import { ClientVariants, FIRST_WAIT_SECONDS } from "../../../../src/server/experiments/client-variants";
import { ServerMessage, VariantsMessage } from "../../../../src/shared/protocol";
import { parseClientMessage } from "../../../../src/shared/validate";
import { fakePlayer, fakeTracking } from "../tracking/fakes";
import { experiment, fakeExperiments, flag, MemoryPersistence, parsed } from "./helpers";

/** A consent gate the spec sets per player and category. */
function settableConsent() {
	const allowed = new Map<string, boolean>();
	return {
		allowed,
		gate: {
			allows(userId: number, category: string) {
				return allowed.get(`${userId} ${category}`) !== false;
			},
		},
	};
}

/** ClientVariants over an Experiments, recording what it sends; `flush()` runs the deferred work (one frame). */
function replication(experiments: ReturnType<typeof fakeExperiments>["experiments"]) {
	const sent = new Array<[number, VariantsMessage]>();
	const deferred = new Array<() => void>();
	const variants = new ClientVariants({
		variantsFor: (player) => experiments.variantsFor(player),
		send: (player, message: ServerMessage) => {
			sent.push([player.UserId, message as VariantsMessage]);
			return true;
		},
		defer: (fn) => deferred.push(fn),
		delay: () => {},
	});
	const flush = () => {
		while (deferred.size() > 0) deferred.shift()!();
	};
	return { variants, sent, flush };
}

const config = () =>
	parsed(
		[
			experiment("shop", { variations: [{ key: "list" }, { key: "grid" }, { key: "carousel" }] }),
			experiment("hud", { coverage: 0.5 }),
			experiment("ca-only", { condition: { country: "CA" } }),
			experiment("secret", { status: "draft", forcedVariations: { "7": 1 } }),
		],
		[
			flag("snow"),
			flag("pets", { defaultValue: 3, coverage: 0.5, variations: [{ key: "more", value: 5, weight: 1 }] }),
		],
	);

describe("variantsFor", () => {
	it("gives each player the variant getVariant gives and each flag's value, logging no exposure", () => {
		const client = fakeExperiments(config());
		const server = fakeExperiments(config());
		for (let id = 1; id <= 200; id++) {
			const player = fakePlayer(id);
			const message = client.experiments.variantsFor(player);
			expect(message.config).toBe(true);
			for (const key of ["shop", "hud", "ca-only"]) {
				expect(message.experiments[key]).toEqual(server.experiments.getVariant(player, key));
			}
			expect(message.flags.snow).toBe(server.experiments.getFeatureValue(player, "snow"));
			expect(message.flags.pets).toBe(server.experiments.getFeatureValue(player, "pets"));
		}
		expect(client.exposures.size()).toBe(0);
		expect(server.exposures.size()).toBeGreaterThan(200);
	});

	it("names a draft experiment only to players forced into it, and sends no definitions", () => {
		const { experiments } = fakeExperiments(config());
		const qa = experiments.variantsFor(fakePlayer(7));
		expect(qa.experiments.secret).toEqual({ key: "treatment", index: 1, inExperiment: true, reason: "forced" });
		expect(experiments.variantsFor(fakePlayer(8)).experiments.secret).toBeUndefined();
		for (const [, variant] of pairs(qa.experiments)) {
			const fields = new Array<string>();
			for (const [name] of pairs(variant)) fields.push(name as string);
			fields.sort();
			expect(fields).toEqual(["inExperiment", "index", "key", "reason"]);
		}
	});

	it("says there is no config yet, and gives control without exposure to a player who refused experiments", () => {
		const { allowed, gate } = settableConsent();
		const { experiments, setConfig, exposures } = fakeExperiments(undefined, { consent: gate });
		const ada = fakePlayer(1001);
		expect(experiments.variantsFor(ada)).toEqual({ kind: "variants", config: false, experiments: {}, flags: {} });
		setConfig(config());
		allowed.set("1001 experiments", false);
		const message = experiments.variantsFor(ada);
		expect(message.experiments.shop).toEqual({ key: "list", index: 0, inExperiment: false, reason: "consent" });
		expect(experiments.exposeFromClient(ada, "shop", "list")).toBe(
			'exposure for "shop", where the player does not count: consent',
		);
		expect(exposures.size()).toBe(0);
	});
});

describe("exposeFromClient", () => {
	it("logs through getVariant's path: one exposure per player and experiment, whoever reads", () => {
		const { experiments, exposures } = fakeExperiments(config());
		const ada = fakePlayer(1001);
		const bob = fakePlayer(1002);
		const adaShop = experiments.variantsFor(ada).experiments.shop.key!;
		const bobShop = experiments.variantsFor(bob).experiments.shop.key!;
		// Ada: the server reads first, then her client says it showed it (twice).
		experiments.getVariant(ada, "shop");
		expect(experiments.exposeFromClient(ada, "shop", adaShop)).toBeUndefined();
		expect(experiments.exposeFromClient(ada, "shop", adaShop)).toBeUndefined();
		// Bob: the client first, then the server reads.
		expect(experiments.exposeFromClient(bob, "shop", bobShop)).toBeUndefined();
		experiments.getVariant(bob, "shop");
		experiments.getVariant(bob, "shop");
		expect(exposures).toEqual([
			{ userId: 1001, experiment: "shop", props: { variation: adaShop, mode: "deterministic" } },
			{ userId: 1002, experiment: "shop", props: { variation: bobShop, mode: "deterministic" } },
		]);
	});

	it("refuses an unknown experiment, a variation the server did not assign, and players who do not count", () => {
		const { experiments, exposures, setConfig } = fakeExperiments(undefined);
		const ada = fakePlayer(1001);
		expect(experiments.exposeFromClient(ada, "shop", "grid")).toBe(
			"exposure before the server had an experiment config",
		);
		setConfig(config());
		expect(experiments.exposeFromClient(ada, "nope", "grid")).toBe('exposure for an unknown experiment "nope"');
		const assigned = experiments.variantsFor(ada).experiments.shop.key!;
		const spoofed = assigned === "grid" ? "carousel" : "grid";
		expect(experiments.exposeFromClient(ada, "shop", spoofed)).toBe(
			`exposure for variation "${spoofed}" of "shop"; the server assigned "${assigned}"`,
		);
		// Outside the coverage, failing the condition, forced QA: none counts.
		let outside = 2000;
		while (experiments.variantsFor(fakePlayer(outside)).experiments.hud.inExperiment) outside += 1;
		expect(experiments.exposeFromClient(fakePlayer(outside), "hud", "control")).toBe(
			'exposure for "hud", where the player does not count: notCovered',
		);
		expect(experiments.exposeFromClient(ada, "ca-only", "control")).toBe(
			'exposure for "ca-only", where the player does not count: conditionFailed',
		);
		expect(experiments.exposeFromClient(fakePlayer(7), "secret", "treatment")).toBe(
			'exposure for "secret", where the player does not count: forced',
		);
		expect(exposures.size()).toBe(0);
	});
});

describe("ClientVariants", () => {
	it("sends a player's variants when their client asks, then only what changed, coalesced per frame", () => {
		const { allowed, gate } = settableConsent();
		const { experiments, setConfig } = fakeExperiments(config(), { consent: gate });
		const { variants, sent, flush } = replication(experiments);
		const ada = fakePlayer(1001);
		variants.subscribe(ada);
		expect(sent.size()).toBe(1);
		expect(sent[0][1]).toEqual(experiments.variantsFor(ada));
		// Asking again (a client spamming) sends nothing.
		variants.subscribe(ada);
		variants.changed(1001);
		variants.changed(1001);
		flush();
		expect(sent.size()).toBe(1);
		// Consent withdrawn: one new message, control everywhere.
		allowed.set("1001 experiments", false);
		variants.changed(1001);
		variants.changed(1001);
		flush();
		expect(sent.size()).toBe(2);
		expect(sent[1][1].experiments.shop.reason).toBe("consent");
		// A new config reaches every subscribed player, and only them.
		allowed.delete("1001 experiments");
		variants.subscribe(fakePlayer(1002));
		setConfig(parsed([experiment("shop", { seed: "reshuffled" })]));
		variants.changedAll();
		flush();
		expect(sent.size()).toBe(5);
		const reached = [sent[3][0], sent[4][0]];
		reached.sort();
		expect(reached).toEqual([1001, 1002]);
		expect(sent[3][1].experiments.hud).toBeUndefined();
		// A player who left is forgotten.
		variants.forget(1001);
		variants.changedAll();
		flush();
		expect(sent.size()).toBe(5);
		expect(variants.count()).toBe(1);
	});

	/** A random-mode experiment whose kept assignments take `latency` seconds to load, replicated with real timers. */
	function randomShop(latency: number, pending?: () => boolean) {
		const persistence = new MemoryPersistence();
		persistence.latency = latency;
		// Experiments tell the replication (created after them) when a player's kept assignments load.
		const wiring: { variants?: ClientVariants } = {};
		const { experiments } = fakeExperiments(parsed([experiment("shop", { assignment: { mode: "random" } })]), {
			persistence,
			playerChanged: (userId) => wiring.variants?.changed(userId),
		});
		const sent = new Array<VariantsMessage>();
		const replicated = new ClientVariants({
			variantsFor: (player) => experiments.variantsFor(player),
			send: (_, message) => sent.push(message as VariantsMessage) > 0,
			pending,
		});
		const ada = fakePlayer(1001);
		experiments.playerJoined(ada);
		wiring.variants = replicated;
		replicated.subscribe(ada);
		return { experiments, sent, ada, variants: replicated };
	}

	it("holds the first message until the player's kept assignments load, so the client never shows the stand-in", () => {
		const { experiments, sent, ada } = randomShop(0.5);
		expect(sent.size()).toBe(0);
		task.wait(0.6);
		expect(sent.size()).toBe(1);
		expect(sent[0].experiments.shop).toMatchObject({ inExperiment: true, reason: "assigned" });
		expect(experiments.getVariant(ada, "shop")).toMatchObject({ key: sent[0].experiments.shop.key, reason: "stored" });
	}, 10_000);

	it("sends the stand-in after FIRST_WAIT_SECONDS when lookups take longer, then the drawn variation", () => {
		const { sent } = randomShop(FIRST_WAIT_SECONDS + 3);
		task.wait(FIRST_WAIT_SECONDS - 0.5);
		expect(sent.size()).toBe(0);
		task.wait(1);
		expect(sent.size()).toBe(1);
		expect(sent[0].experiments.shop).toMatchObject({ inExperiment: false, reason: "loading" });
		task.wait(3);
		expect(sent.size()).toBe(2);
		expect(sent[1].experiments.shop).toMatchObject({ inExperiment: true, reason: "assigned" });
	}, 30_000);

	it("holds the first message while the player's consent is looked up", () => {
		let loading = true;
		const { sent, variants } = randomShop(0, () => loading);
		task.wait(1);
		expect(sent.size()).toBe(0);
		loading = false;
		variants.changed(1001);
		task.wait();
		expect(sent.size()).toBe(1);
	}, 10_000);
});

describe("client messages", () => {
	it("parse exposure and variants requests, refusing malformed ones", () => {
		expect(parseClientMessage({ kind: "variants", extra: 1 })).toEqual({ kind: "variants" });
		expect(parseClientMessage({ kind: "exposure", experiments: { shop: "grid" }, userId: 5 })).toEqual({
			kind: "exposure",
			experiments: { shop: "grid" },
		});
		const tooMany: Record<string, string> = {};
		for (let i = 1; i <= 33; i++) tooMany[`e${i}`] = "a";
		const bad: unknown[] = [
			{ kind: "exposure" },
			{ kind: "exposure", experiments: {} },
			{ kind: "exposure", experiments: "shop" },
			{ kind: "exposure", experiments: { shop: 1 } },
			{ kind: "exposure", experiments: ["grid"] },
			{ kind: "exposure", experiments: { shop: string.rep("g", 129) } },
			{ kind: "exposure", experiments: tooMany },
			{ kind: "exposure", experiments: setmetatable({}, { __index: () => "grid" }) },
		];
		for (const message of bad) expect(typeIs(parseClientMessage(message), "string")).toBe(true);
	});

	it("route a client's exposures to experiments, counting each refused one and rate-limiting floods", () => {
		const calls = new Array<string>();
		const rejects = new Array<string>();
		const { tracking } = fakeTracking(
			{ clientEventBurst: 3, clientEventsPerSecond: 0.001 },
			{
				hooks: {
					variantsRequested: (player) => calls.push(`variants ${player.UserId}`),
					clientExposure: (_, experiment, variation) => {
						calls.push(`${experiment}=${variation}`);
						return experiment === "shop" ? undefined : `exposure for an unknown experiment "${experiment}"`;
					},
					clientRejected: (player, reason) => rejects.push(`${player.UserId}: ${reason}`),
				},
			},
		);
		const ada = fakePlayer(1001);
		tracking.gateway.receive(ada, { kind: "variants" });
		tracking.gateway.receive(ada, { kind: "exposure", experiments: { shop: "grid" } });
		tracking.gateway.receive(ada, { kind: "exposure", experiments: { nope: "grid" } });
		for (let i = 0; i < 50; i++) tracking.gateway.receive(ada, { kind: "exposure", experiments: { shop: "grid" } });
		expect(calls).toEqual(["variants 1001", "shop=grid", "nope=grid"]);
		expect(rejects).toEqual(['1001: exposure for an unknown experiment "nope"', "1001: rate limited"]);
		expect(tracking.stats()).toMatchObject({ clientRejected: 1, clientRateLimited: 50 });
	});
});
