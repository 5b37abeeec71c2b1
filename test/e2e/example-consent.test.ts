// The example game's consent code, which docs/consent.md quotes, run as written: the example place (example/) on a
// harness server with its VantageConsent attribute set, the example's own client script in a client VM, the real
// backend with a published policy. An EEA player is asked and tracked only after answering; the server's onChanged
// handler writes the answer to the player's AnalyticsConsent attribute; the settings menu's PrivacySettings remote
// shows the prompt again.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchAdminAuth, provisionAdmin } from "../../server/testing/provision.js";
import { nodeFromProject } from "../harness/project.js";
import { World } from "../harness/world.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt } from "./sdk-build.js";

const GAME = "6262";
const PLAYER = 2001;
const VANTAGE = `require(game:GetService("ReplicatedStorage").Vantage)`;
const EXAMPLE = join(import.meta.dirname, "..", "..", "example");

describe("the example game's consent code", () => {
	let backend: TestBackend;
	let owner: string;
	let world: World | undefined;

	beforeAll(async () => {
		ensureSdkBuilt();
		backend = await startTestBackend(GAME);
		owner = await fetchAdminAuth(backend.url, await provisionAdmin(backend.dataDir, "owner"));
		const res = await fetch(`${backend.url}/v1/admin/games/${GAME}/consent/policies`, {
			method: "POST",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ version: "1", summary: "Analytics and experiments" }),
		});
		expect(res.status, await res.clone().text()).toBe(201);
	}, 60_000);

	afterAll(async () => {
		await world?.destroy();
		await backend?.close();
	});

	async function eventNames(): Promise<string[]> {
		const res = await fetch(`${backend.url}/v1/games/${GAME}/events?limit=1000&userId=${PLAYER}`, {
			headers: { Authorization: owner },
		});
		expect(res.status).toBe(200);
		return ((await res.json()) as { events: { type: string; name: string }[] }).events.map(
			(e) => `${e.type}:${e.name}`,
		);
	}

	it("asks an EEA player, keeps the answer in an attribute, and asks again from the settings menu", async () => {
		const tree = nodeFromProject(join(EXAMPLE, "default.project.json"));
		const gameScript = tree.children
			.find((c) => c.name === "ServerScriptService")!
			.children.find((c) => c.name === "Game")!;
		gameScript.attributes = {
			...gameScript.attributes,
			VantageEndpoint: backend.url,
			VantageFlushSeconds: 2,
			VantageConfigRefreshSeconds: 10,
			VantageConsent: true,
		};
		world = await World.create({
			tree,
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: backend.gameKey } },
		});
		await world.start();
		await world.addPlayer({ userId: PLAYER, name: "berlin", country: "DE", locale: "de-de" });
		await world.advance(6);

		// Asked, and nothing about the player has left the server yet.
		const consentOf = `${VANTAGE}.Vantage.consent.get(game:GetService("Players"):GetPlayerByUserId(${PLAYER}))`;
		const [asking] = await world.run<[string]>("server", `return ${consentOf}.status`);
		expect(asking).toBe("asking");
		expect(await eventNames()).toEqual([]);

		// The player accepts analytics only (as the prompt's Choose page would send it).
		await world.run(
			PLAYER,
			`local C = ${VANTAGE}.VantageClient
			_G.prompts = 0
			C.consent.promptRequested:Connect(function() _G.prompts += 1 end)
			assert(C.consent.answer({ analytics = true, experiments = false, personalization = false }, "example-test"))`,
		);
		await world.advance(6);
		const [attribute] = await world.run<[unknown]>(
			"server",
			`return game:GetService("Players"):GetPlayerByUserId(${PLAYER}):GetAttribute("AnalyticsConsent")`,
		);
		expect(attribute).toBe(true);
		expect(await eventNames()).toEqual(expect.arrayContaining(["session_start:player", "consent:player"]));

		// The settings menu's Privacy button fires the remote; the server shows the prompt again.
		await world.run(
			PLAYER,
			`game:GetService("ReplicatedStorage"):WaitForChild("Remotes"):WaitForChild("PrivacySettings"):FireServer()`,
		);
		await world.advance(2);
		const [prompts] = await world.run<[number]>(PLAYER, `return _G.prompts`);
		expect(prompts).toBe(1);
	}, 120_000);
});
