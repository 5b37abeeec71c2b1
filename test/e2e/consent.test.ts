// Player consent end to end: the real SDK on a harness game server with consent on, clients in their own VMs, the
// real backend with a published consent policy. Opt-in players are asked and tracked only after they agree (what
// they did meanwhile is sent then, or discarded); others follow the game's default; withdrawal stops tracking at
// once; a new policy version asks again; the backend keeps every answer as proof.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";
import { Screen } from "../harness/gui.js";
import { World } from "../harness/world.js";

interface Event {
	userId: number;
	type: string;
	name: string;
	time: number;
	props: Record<string, unknown>;
}

const GAME = "5151";
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage)`;

describe("player consent", () => {
	let backend: TestBackend;
	let owner: string;
	let world: World | undefined;

	beforeAll(async () => {
		ensureSdkBuilt();
		backend = await startTestBackend(GAME);
		owner = await fetchAdminAuth(backend.url, await provisionAdmin(backend.dataDir, "owner"));
		// Outside the EEA/UK/CH, this game tracks until a player objects.
		const settings = await fetch(`${backend.url}/v1/admin/games/${GAME}/settings`, {
			method: "PATCH",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ consentDefault: "opt-out" }),
		});
		expect(settings.status).toBe(200);
		await publishPolicy("1");
	});

	afterEach(async () => {
		await world?.destroy();
		world = undefined;
	});

	afterAll(async () => {
		await backend?.close();
	});

	async function publishPolicy(version: string): Promise<void> {
		const res = await fetch(`${backend.url}/v1/admin/games/${GAME}/consent/policies`, {
			method: "POST",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ version, summary: `Policy ${version}` }),
		});
		expect(res.status, await res.clone().text()).toBe(201);
	}

	/**
	 * A world whose server started Vantage with consent on; each player's client runs VantageClient with the built-in
	 * prompt off and records what the server told it in _G.consent (states) and _G.prompts (prompt requests).
	 */
	async function consentWorld(
		players: { userId: number; country: string; locale?: string; platform?: string }[],
		clientOptions = "consentPrompt = false",
	): Promise<World> {
		world = await World.create({
			tree: sdkTree(),
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: backend.gameKey } },
		});
		await world.run(
			"server",
			`local Vantage = ${VANTAGE}.Vantage
			_G.changes = {}
			Vantage.consent.onChanged:Connect(function(player, info)
				table.insert(_G.changes, player.UserId .. " " .. info.status)
			end)
			assert(Vantage.start({ endpoint = "${backend.url}", flushSeconds = 5, sessionStartWaitSeconds = 2,
				configRefreshSeconds = 10, consent = true }))`,
		);
		for (const p of players) {
			await world.addPlayer({
				userId: p.userId,
				name: `p${p.userId}`,
				country: p.country,
				locale: p.locale,
				platform: p.platform,
			});
			await world.run(
				p.userId,
				`local C = ${VANTAGE}.VantageClient
				_G.states = {}
				_G.prompts = 0
				C.consent.onChanged:Connect(function(state) table.insert(_G.states, state.status) end)
				C.consent.promptRequested:Connect(function() _G.prompts += 1 end)
				assert(C.start({ ${clientOptions} }))`,
			);
		}
		await world.advance(4);
		return world;
	}

	const track = (w: World, userId: number, name: string) =>
		w.run("server", `${VANTAGE}.Vantage.track(game:GetService("Players"):GetPlayerByUserId(${userId}), "${name}")`);

	async function events(userId: number): Promise<Event[]> {
		const res = await fetch(`${backend.url}/v1/games/${GAME}/events?limit=1000&userId=${userId}`, {
			headers: { Authorization: owner },
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { events: Event[] }).events;
	}

	async function clientView(w: World, userId: number): Promise<{ states: string[]; prompts: number }> {
		const [states, prompts] = await w.run<[string[], number]>(userId, `return _G.states, _G.prompts`);
		return { states, prompts };
	}

	it("asks an EEA player and sends what they did meanwhile once they accept; tracks a US player at once", async () => {
		const w = await consentWorld([
			{ userId: 1001, country: "DE" },
			{ userId: 1002, country: "US" },
		]);
		await track(w, 1001, "before_answer");
		await track(w, 1002, "us_event");
		await w.advance(8);
		expect((await events(1001)).map((e) => e.name)).toEqual([]);
		expect((await events(1002)).map((e) => e.name)).toEqual(expect.arrayContaining(["player", "us_event"]));
		expect(await clientView(w, 1001)).toEqual({ states: ["asking"], prompts: 1 });
		expect((await clientView(w, 1002)).prompts).toBe(0);

		const before = Date.now();
		await w.run(
			1001,
			`assert(${VANTAGE}.VantageClient.consent.answer({ analytics = true, experiments = true, personalization = false }, "my-ui-2"))`,
		);
		await w.advance(8);
		const mine = await events(1001);
		expect(mine.map((e) => `${e.type}:${e.name}`)).toEqual(
			expect.arrayContaining(["session_start:player", "custom:before_answer", "consent:player"]),
		);
		// The waiting event kept its own time: before the answer.
		expect(mine.find((e) => e.name === "before_answer")!.time).toBeLessThan(before);
		expect((await clientView(w, 1001)).states.at(-1)).toBe("answered");
		const [changes] = await w.run<[string[]]>("server", `return _G.changes`);
		expect(changes).toEqual(expect.arrayContaining(["1001 asking", "1001 answered", "1002 default"]));

		// The backend keeps the answer as proof.
		const proof = await fetch(`${backend.url}/v1/games/${GAME}/players/1001/consent`, {
			headers: { Authorization: owner },
		});
		expect(proof.status).toBe(200);
		expect(JSON.stringify(await proof.json())).toContain("my-ui-2");
	});

	it("tracks nothing of a player who rejects, nor of one who never answers", async () => {
		const w = await consentWorld([
			{ userId: 1003, country: "FR" },
			{ userId: 1004, country: "GB" },
		]);
		await track(w, 1003, "waits");
		await track(w, 1004, "waits_forever");
		await w.run(
			1003,
			`${VANTAGE}.VantageClient.consent.answer({ analytics = false, experiments = false, personalization = false }, "my-ui-2")`,
		);
		await w.advance(2);
		await track(w, 1003, "after_reject");
		await w.removePlayer(1004);
		await w.advance(8);
		// Only the proof of the refusal leaves the server.
		expect((await events(1003)).map((e) => `${e.type}:${e.name}`)).toEqual(["consent:player"]);
		expect(await events(1004)).toEqual([]);
		const [stats] = await w.run<[Record<string, number>]>("server", `return ${VANTAGE}.Vantage.stats()`);
		expect(stats.consentDiscarded).toBeGreaterThanOrEqual(4); // two custom events, two session events at least
	});

	it("stops tracking at once when a player withdraws, and says so to the backend", async () => {
		const w = await consentWorld([{ userId: 1005, country: "ES" }]);
		await w.run(
			1005,
			`${VANTAGE}.VantageClient.consent.answer({ analytics = true, experiments = true, personalization = true }, "v")`,
		);
		await w.advance(1);
		await track(w, 1005, "while_granted");
		await w.run(
			"server",
			`assert(${VANTAGE}.Vantage.consent.set(game:GetService("Players"):GetPlayerByUserId(1005), { analytics = false, experiments = true, personalization = true }))`,
		);
		await track(w, 1005, "after_withdrawal");
		await w.advance(8);
		const mine = await events(1005);
		expect(mine.map((e) => e.name)).toContain("while_granted");
		expect(mine.map((e) => e.name)).not.toContain("after_withdrawal");
		const consents = mine.filter((e) => e.type === "consent");
		expect(consents).toHaveLength(2);
	});

	it("asks again after a new policy version", async () => {
		const w = await consentWorld([{ userId: 1006, country: "IT" }]);
		await w.run(
			1006,
			`${VANTAGE}.VantageClient.consent.answer({ analytics = true, experiments = true, personalization = true }, "v")`,
		);
		await w.advance(2);
		expect((await clientView(w, 1006)).prompts).toBe(1);
		await publishPolicy("2");
		await w.advance(15); // the next config refresh
		expect(await clientView(w, 1006)).toMatchObject({ prompts: 2 });
		await track(w, 1006, "under_new_policy");
		await w.advance(8);
		expect((await events(1006)).map((e) => e.name)).not.toContain("under_new_policy");
		await w.run(
			1006,
			`${VANTAGE}.VantageClient.consent.answer({ analytics = true, experiments = false, personalization = false }, "v")`,
		);
		await w.advance(8);
		expect((await events(1006)).map((e) => e.name)).toContain("under_new_policy");
	});
	describe("the built-in prompt", () => {
		const texts = async (w: World, userId: number) => (await Screen.of(w, userId).visibleTexts()).map((t) => t.text);

		it("appears in the player's language where opt-in applies, and not where the game's default does", async () => {
			const w = await consentWorld(
				[
					{ userId: 1101, country: "DE", locale: "de-de" },
					{ userId: 1102, country: "US" },
					{ userId: 1103, country: "BR", locale: "pt-br" },
				],
				"",
			);
			expect(await texts(w, 1101)).toEqual(expect.arrayContaining(["Alle ablehnen", "Alle akzeptieren", "Auswählen"]));
			expect(await texts(w, 1102)).toEqual([]);
			expect(await texts(w, 1103)).toEqual([]); // Brazil: the game's opt-out default applies
			// The player can open it again (e.g. from the game's settings) and it speaks their language.
			await w.run(1103, `assert(${VANTAGE}.VantageClient.consent.prompt())`);
			expect(await texts(w, 1103)).toEqual(expect.arrayContaining(["Recusar tudo", "Aceitar tudo"]));
		});

		it("Reject all sends nothing of the player and discards what waited; Accept all sends it", async () => {
			const w = await consentWorld(
				[
					{ userId: 1111, country: "FR" },
					{ userId: 1112, country: "NL" },
				],
				"",
			);
			await track(w, 1111, "waited");
			await track(w, 1112, "waited");
			await Screen.of(w, 1111).clickButton("Reject all");
			await Screen.of(w, 1112).tapButton("Accept all");
			await w.advance(0.5);
			await track(w, 1111, "after_reject");
			await w.advance(8);
			expect((await events(1111)).map((e) => `${e.type}:${e.name}`)).toEqual(["consent:player"]);
			const accepted = (await events(1112)).map((e) => `${e.type}:${e.name}`);
			expect(accepted).toEqual(expect.arrayContaining(["session_start:player", "custom:waited", "consent:player"]));
			// The prompt closed for both.
			expect(await texts(w, 1111)).toEqual([]);
			expect(await texts(w, 1112)).toEqual([]);
			const consent = (await events(1112)).find((e) => e.type === "consent")!;
			expect(consent.props).toMatchObject({ policyVersion: expect.any(String) });
		});

		it("lets a player choose per category with the mouse", async () => {
			const w = await consentWorld([{ userId: 1121, country: "AT" }], "");
			const screen = Screen.of(w, 1121);
			await screen.clickButton("Choose");
			await screen.clickButton({ name: "Toggle_analytics" });
			await screen.clickButton("Save choices");
			await w.advance(0.5);
			const [info] = await w.run<[{ status: string; choices: Record<string, boolean> }]>(
				"server",
				`return ${VANTAGE}.Vantage.consent.get(game:GetService("Players"):GetPlayerByUserId(1121))`,
			);
			expect(info).toMatchObject({
				status: "answered",
				choices: { analytics: true, experiments: false, personalization: false },
			});
		});

		it("can be answered with a gamepad alone: every button is reachable", async () => {
			const w = await consentWorld([{ userId: 1131, country: "SE", platform: "XBoxOne" }], "");
			const screen = Screen.of(w, 1131);
			const reached = new Set<string>();
			const note = async () => {
				const selected = await screen.selected();
				if (selected) reached.add(selected.name);
				return selected?.name;
			};
			expect(await note()).toBe("RejectAll");
			await screen.pressGamepad("DPadRight");
			expect(await note()).toBe("AcceptAll");
			await screen.pressGamepad("DPadRight");
			expect(await note()).toBe("Choose");
			await screen.pressGamepad("ButtonA");
			expect(await note()).toBe("Toggle_analytics");
			for (const expected of ["Toggle_experiments", "Toggle_personalization", "Save"]) {
				await screen.pressGamepad("DPadDown");
				expect(await note()).toBe(expected);
			}
			await screen.pressGamepad("DPadLeft");
			expect(await note()).toBe("Back");
			expect([...reached].sort()).toEqual(
				[
					"AcceptAll",
					"Back",
					"Choose",
					"RejectAll",
					"Save",
					"Toggle_analytics",
					"Toggle_experiments",
					"Toggle_personalization",
				].sort(),
			);
			// Back to the first page, then accept with ButtonA.
			await screen.pressGamepad("ButtonA");
			expect(await note()).toBe("RejectAll");
			await screen.pressGamepad("DPadRight");
			await screen.pressGamepad("ButtonA");
			await w.advance(0.5);
			const [status] = await w.run<[string]>(
				"server",
				`return ${VANTAGE}.Vantage.consent.get(game:GetService("Players"):GetPlayerByUserId(1131)).status`,
			);
			expect(status).toBe("answered");
		});
	});
});
