// Client-side variants, the client's half: the ClientTracker keeps the variants the server replicated, answers reads
// without yielding, and tells the server once which variation it showed. The specs run in one VM without a server,
// so the RemoteEvent is a stand-in that records what the client fires.
import { describe, expect, it } from "@rbxts/jest-globals";
import Signal from "@rbxts/signal";
import { ClientTracker } from "../../../src/client/client-tracker";
import { ClientMessage, VariantsMessage } from "../../../src/shared/protocol";
import { WarnOnce } from "../../../src/shared/warn-once";

/** A ClientTracker connected to a stand-in RemoteEvent; `receive` delivers a server message. */
function connectedClient() {
	const fired = new Array<ClientMessage>();
	const changed = new Signal<() => void>();
	const tracker = new ClientTracker(new WarnOnce(), undefined, changed);
	const internals = tracker as unknown as { remote: unknown; receive(message: unknown): void };
	internals.remote = {
		FireServer(message: ClientMessage) {
			fired.push(message);
		},
	};
	return { tracker, fired, changed, receive: (message: unknown) => internals.receive(message) };
}

function variants(overrides: Partial<VariantsMessage> = {}): VariantsMessage {
	return {
		kind: "variants",
		config: true,
		experiments: {
			shop: { key: "grid", index: 1, inExperiment: true, reason: "assigned" },
			hud: { key: "control", index: 0, inExperiment: false, reason: "notCovered" },
			qa: { key: "treatment", index: 1, inExperiment: true, reason: "forced" },
			refused: { key: "control", index: 0, inExperiment: false, reason: "consent" },
		},
		flags: { snow: true, pets: 5, zero: 0 },
		...overrides,
	};
}

const exposures = (fired: ClientMessage[]) => fired.filter((m) => m.kind === "exposure");

describe("VantageClient variants", () => {
	it("answer notReady before the server's variants arrive, then the server's answer, without yielding", () => {
		const { tracker, receive, fired } = connectedClient();
		expect(tracker.getVariant("shop")).toEqual({ index: 0, inExperiment: false, reason: "notReady" });
		expect(tracker.featureValue("snow", "isOn")).toBeUndefined();
		expect(tracker.variantsReady()).toBe(false);
		receive(variants());
		expect(tracker.variantsReady()).toBe(true);
		expect(tracker.getVariant("shop")).toEqual({ key: "grid", index: 1, inExperiment: true, reason: "assigned" });
		expect(tracker.getVariant("hud")).toEqual({ key: "control", index: 0, inExperiment: false, reason: "notCovered" });
		expect(tracker.getVariant("nope")).toEqual({ index: 0, inExperiment: false, reason: "unknownExperiment" });
		expect(tracker.featureValue("pets", "getFeatureValue")).toBe(5);
		// A server without a config yet.
		receive(variants({ config: false, experiments: {}, flags: {} }));
		expect(tracker.getVariant("shop")).toEqual({ index: 0, inExperiment: false, reason: "noConfig" });
		expect(exposures(fired).size()).toBe(0);
	});

	it("tell the server once per experiment and variation, only for variations that count, in one message a frame", () => {
		const { tracker, receive, fired } = connectedClient();
		receive(variants());
		for (let i = 0; i < 10; i++) {
			tracker.getVariant("shop");
			tracker.getVariant("hud");
			tracker.getVariant("qa");
			tracker.getVariant("refused");
		}
		expect(exposures(fired).size()).toBe(0); // sent at the end of the frame
		task.wait();
		expect(exposures(fired)).toEqual([{ kind: "exposure", experiments: { shop: "grid" } }]);
		tracker.getVariant("shop");
		task.wait();
		expect(exposures(fired).size()).toBe(1);
		// The server moved the player (a new seed): the new variation is told once.
		const moved = variants();
		moved.experiments.shop = { key: "list", index: 0, inExperiment: true, reason: "assigned" };
		receive(moved);
		tracker.getVariant("shop");
		tracker.getVariant("shop");
		task.wait();
		expect(exposures(fired)).toEqual([
			{ kind: "exposure", experiments: { shop: "grid" } },
			{ kind: "exposure", experiments: { shop: "list" } },
		]);
	});

	it("split a frame's exposures into messages the server accepts", () => {
		const { tracker, receive, fired } = connectedClient();
		const many = variants({ experiments: {} });
		for (let i = 1; i <= 40; i++) {
			many.experiments[`e${i}`] = { key: "b", index: 1, inExperiment: true, reason: "assigned" };
		}
		receive(many);
		for (let i = 1; i <= 40; i++) tracker.getVariant(`e${i}`);
		task.wait();
		const sent = exposures(fired);
		expect(sent.size()).toBe(2);
		let named = 0;
		for (const message of sent) {
			if (message.kind !== "exposure") continue;
			for (const [, variation] of pairs(message.experiments)) {
				expect(variation).toBe("b");
				named += 1;
			}
		}
		expect(named).toBe(40);
	});

	it("fire variantsChanged on every message; waitForVariants yields until they arrive or the timeout", () => {
		const { tracker, receive, changed } = connectedClient();
		let fires = 0;
		changed.Connect(() => (fires += 1));
		const started = os.clock();
		expect(tracker.waitForVariants(0.5)).toBe(false);
		expect(os.clock() - started >= 0.5).toBe(true);
		task.delay(0.2, () => receive(variants()));
		const waitedFrom = os.clock();
		expect(tracker.waitForVariants(5)).toBe(true);
		expect(os.clock() - waitedFrom < 1).toBe(true);
		// Ready: no yield at all.
		expect(tracker.waitForVariants(5)).toBe(true);
		receive(variants());
		task.wait();
		expect(fires).toBe(2);
	}, 10_000);

	it("ignore malformed entries of a server message", () => {
		const { tracker, receive } = connectedClient();
		receive({
			kind: "variants",
			config: true,
			experiments: { shop: { key: 5, index: 1 }, hud: "control", ok: { index: 0, inExperiment: false, reason: "x" } },
			flags: "nope",
		});
		expect(tracker.getVariant("shop").reason).toBe("unknownExperiment");
		expect(tracker.getVariant("hud").reason).toBe("unknownExperiment");
		expect(tracker.getVariant("ok").reason).toBe("x");
		expect(tracker.featureValue("snow", "isOn")).toBeUndefined();
	});
});
