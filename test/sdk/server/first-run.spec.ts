// First run: which problems keep a server from sending (a table of places), the words said for each, and the gate
// that says each once and reads the place again every RECHECK_SECONDS.
import { describe, expect, it } from "@rbxts/jest-globals";
import { blockerMessage, findBlockers, PlaceFacts, RECHECK_SECONDS, SendGate } from "../../../src/server/first-run";

const published: PlaceFacts = { studio: true, gameId: 42, placeId: 7, httpEnabled: true, secretFound: true };

describe("findBlockers", () => {
	const cases: [string, Partial<PlaceFacts>, string[]][] = [
		["a published place with HTTP on and the key", {}, []],
		[
			"an unpublished place (both ids 0), alone whatever else is wrong",
			{ gameId: 0, placeId: 0, httpEnabled: false, secretFound: false },
			["unpublished"],
		],
		["a place with only its GameId 0", { gameId: 0 }, ["unpublished"]],
		["a place with only its PlaceId 0", { placeId: 0 }, ["unpublished"]],
		["ids 0 outside Studio (never on Roblox's servers): not unpublished", { studio: false, gameId: 0, placeId: 0 }, []],
		["HTTP off", { httpEnabled: false }, ["httpOff"]],
		["HttpEnabled unreadable: RequestAsync will tell", { httpEnabled: undefined }, []],
		["no secret", { secretFound: false }, ["noSecret"]],
		["HTTP off and no secret: both", { httpEnabled: false, secretFound: false }, ["httpOff", "noSecret"]],
	];
	for (const [name, facts, expected] of cases) {
		it(name, () => {
			expect(findBlockers({ ...published, ...facts })).toEqual(expected);
		});
	}
});

describe("blockerMessage", () => {
	it("says what to do, in Studio and on a live server", () => {
		const studio = { studio: true, secretName: "vantage_game_key", maxQueuedEvents: 500 };
		const live = { ...studio, studio: false };
		expect(blockerMessage("httpOff", studio)).toBe(
			"HTTP requests are off. Turn on Game Settings > Security > Allow HTTP Requests. Events wait in memory (up to 500) until then.",
		);
		expect(blockerMessage("httpOff", live).find("saved to DataStore", 1, true)[0] !== undefined).toBe(true);
		expect(
			blockerMessage("noSecret", studio).find("Game Settings > Security > Secrets", 1, true)[0] !== undefined,
		).toBe(true);
		expect(blockerMessage("noSecret", live).find('the secret "vantage_game_key"', 1, true)[0] !== undefined).toBe(true);
		expect(
			blockerMessage("noSecret", { ...studio, secretName: "" }).find("`gameKeySecret` option is empty", 1, true)[0] !==
				undefined,
		).toBe(true);
		expect(blockerMessage("unpublished", studio).find("File > Publish to Roblox", 1, true)[0] !== undefined).toBe(true);
	});
});

describe("SendGate", () => {
	it("says each problem once, reads the place again every RECHECK_SECONDS, and opens once it is fixed", () => {
		let now = 0;
		let facts: PlaceFacts = { ...published, studio: false, httpEnabled: false, secretFound: false };
		let reads = 0;
		const said = new Array<string>();
		const gate = new SendGate(
			{ studio: false, secretName: "k", maxQueuedEvents: 10 },
			{
				warn(m: string) {
					said.push(m);
				},
			},
			() => {
				reads += 1;
				return facts;
			},
			() => now,
		);
		expect(gate.open()).toBe(false);
		expect(gate.blockers).toEqual(["httpOff", "noSecret"]);
		expect(said.size()).toBe(2);
		// Asked often (every worker step, every config fetch): read once per RECHECK_SECONDS, said once for good.
		for (let i = 0; i < 100; i++) gate.open();
		now = RECHECK_SECONDS - 0.01;
		expect(gate.open()).toBe(false);
		expect(reads).toBe(1);
		now = RECHECK_SECONDS;
		gate.open();
		expect(reads).toBe(2);
		expect(said.size()).toBe(2);
		facts = { ...facts, httpEnabled: true };
		now += RECHECK_SECONDS;
		expect(gate.open()).toBe(false);
		expect(gate.blockers).toEqual(["noSecret"]);
		facts = { ...facts, secretFound: true };
		now += RECHECK_SECONDS;
		expect(gate.open()).toBe(true);
		expect(said.size()).toBe(2);
		// An unpublished place is start()'s to handle (it runs as a dry run): the gate does not block on it.
		facts = { ...facts, studio: true, gameId: 0 };
		now += RECHECK_SECONDS;
		expect(gate.open()).toBe(true);
	});
});
