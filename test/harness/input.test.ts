// UserInputService / GuiService emulation: device capabilities from the player's platform, on the client only.
import { afterEach, describe, expect, it } from "vitest";
import { RobloxVm } from "./vm.js";
import { place, World } from "./world.js";

let world: World | undefined;
afterEach(async () => {
	await world?.destroy();
	world = undefined;
});

const READ = `
	local UIS = game:GetService("UserInputService")
	return {
		touch = UIS.TouchEnabled, keyboard = UIS.KeyboardEnabled, mouse = UIS.MouseEnabled,
		gamepad = UIS.GamepadEnabled, vr = UIS.VREnabled, preferred = UIS.PreferredInput.Name,
		tenFoot = game:GetService("GuiService"):IsTenFootInterface(),
	}
`;

describe("UserInputService and GuiService", () => {
	it("describe each player's device from their platform", async () => {
		world = await World.create({ tree: place({}) });
		const players = { 1: "Windows", 2: "IOS", 3: "PS5", 4: "MetaOS" } as const;
		for (const [id, platform] of Object.entries(players)) {
			await world.addPlayer({ userId: Number(id), name: `p${id}`, platform });
		}
		const devices = [];
		for (const id of [1, 2, 3, 4]) devices.push((await world.run<[Record<string, unknown>]>(id, READ))[0]);
		expect(devices).toEqual([
			{
				touch: false,
				keyboard: true,
				mouse: true,
				gamepad: false,
				vr: false,
				preferred: "KeyboardAndMouse",
				tenFoot: false,
			},
			{ touch: true, keyboard: false, mouse: false, gamepad: false, vr: false, preferred: "Touch", tenFoot: false },
			{ touch: false, keyboard: false, mouse: false, gamepad: true, vr: false, preferred: "Gamepad", tenFoot: true },
			{ touch: false, keyboard: false, mouse: false, gamepad: true, vr: true, preferred: "Gamepad", tenFoot: false },
		]);
	});

	it("defaults to a Windows desktop, and reads nothing on the server", async () => {
		world = await World.create({ tree: place({}) });
		await world.addPlayer({ userId: 9, name: "p" });
		const [client] = await world.run<[Record<string, unknown>]>(9, READ);
		const [server] = await world.run<[Record<string, unknown>]>("server", READ);
		expect(client).toMatchObject({ keyboard: true, mouse: true, touch: false });
		expect(server).toEqual({
			touch: false,
			keyboard: false,
			mouse: false,
			gamepad: false,
			vr: false,
			preferred: "KeyboardAndMouse",
			tenFoot: false,
		});
	});

	it("keeps the capabilities read-only and GetPlatform out of reach of game scripts", async () => {
		const vm = await RobloxVm.create({ role: "client" });
		try {
			const [write, platform] = await vm.run<[string, string]>(`
				local UIS = game:GetService("UserInputService")
				local _, e1 = pcall(function() UIS.TouchEnabled = true end)
				local _, e2 = pcall(function() return UIS:GetPlatform() end)
				return tostring(e1), tostring(e2)
			`);
			expect(write).toMatch(/TouchEnabled/);
			expect(platform).toMatch(/lacking capability/);
		} finally {
			vm.destroy();
		}
	});

	it("takes overrides of single capabilities from the host", async () => {
		world = await World.create({ tree: place({}) });
		await world.addPlayer({ userId: 5, name: "p", platform: "Windows" });
		await world.client(5).callH("setInputOverride", JSON.stringify({ TouchEnabled: true, PreferredInput: "Touch" }));
		const [device] = await world.run<[Record<string, unknown>]>(5, READ);
		expect(device).toMatchObject({ touch: true, keyboard: true, preferred: "Touch" });
	});
});
