// LocalizationService emulation: the player's country from the Players emulation's record, failures, locale ids.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RobloxVm, type ServicePlugin } from "./vm.js";
import { World } from "./world.js";

// Exposes the harness table H to test scripts (to add stand-in players and their records).
const dir = mkdtempSync(join(tmpdir(), "vantage-loc-test-"));
writeFileSync(join(dir, "expose-h.luau"), "local H = ...\nH.sharedEnv.H = H\n");
const exposeH: ServicePlugin = { name: "test-expose-h", chunks: [join(dir, "expose-h.luau")] };

const vms: { destroy(): unknown }[] = [];
afterEach(async () => {
	for (const vm of vms.splice(0)) await vm.destroy();
});
async function vmOf(role: "server" | "client" = "server", config: Record<string, unknown> = {}): Promise<RobloxVm> {
	const vm = await RobloxVm.create({ role, config, plugins: [exposeH] });
	vms.push(vm);
	return vm;
}

const lua = (source: string) => `
local Localization = game:GetService("LocalizationService")
-- A stand-in player (the Players emulation's own Player class when it exists) with the record it keeps.
local function addPlayer(name, info)
	if H.classes.Player == nil then H.defineClass("Player", {}) end
	if H.classes.Players == nil then H.defineClass("Players", {}) H.registerService("Players") end
	local p = H.newInstance("Player")
	H.instanceState[p].props.Name = name
	H.playerInfo[p] = info
	p.Parent = game:GetService("Players")
	return p
end
${source}`;

describe("GetCountryRegionForPlayerAsync", () => {
	it("returns the country the Players emulation recorded, US without a record, and yields", async () => {
		const vm = await vmOf();
		const [de, us, lower, elapsed] = await vm.run(
			lua(`
			local start = os.clock()
			local de = Localization:GetCountryRegionForPlayerAsync(addPlayer("Hans", {country = "DE", locale = "de-de"}))
			local elapsed = os.clock() - start
			return de, Localization:GetCountryRegionForPlayerAsync(addPlayer("Sam", nil)),
				Localization:GetCountryRegionForPlayerAsync(addPlayer("Ana", {country = "br"})), elapsed`),
		);
		expect([de, us, lower]).toEqual(["DE", "US", "BR"]);
		expect(elapsed).toBeGreaterThan(0);
	});

	it("takes the configured latency", async () => {
		const vm = await vmOf("server", { localizationLatency: 0.5 });
		const [elapsed] = await vm.run(
			lua(
				`local s = os.clock() Localization:GetCountryRegionForPlayerAsync(addPlayer("P", {country = "FR"})) return os.clock() - s`,
			),
		);
		expect(elapsed).toBeCloseTo(0.5, 5);
	});

	it("fails as injected: the next N lookups, or every lookup until cleared", async () => {
		const vm = await vmOf();
		const attempt = lua(`
			local p = addPlayer("P", {country = "GB"})
			local out = {}
			for i = 1, 3 do
				local ok, res = pcall(function() return Localization:GetCountryRegionForPlayerAsync(p) end)
				table.insert(out, res)
			end
			return out`);
		await vm.callH("localizationFail", 2, "HTTP 503 (Service Unavailable)");
		expect(await vm.run(attempt)).toEqual([["HTTP 503 (Service Unavailable)", "HTTP 503 (Service Unavailable)", "GB"]]);
		await vm.callH("localizationFail");
		const [all] = await vm.run<[string[]]>(attempt);
		expect(all).toHaveLength(3);
		expect(all.every((e) => /failed/.test(e))).toBe(true);
		await vm.callH("localizationFail", 0);
		expect(await vm.run(attempt)).toEqual([["GB", "GB", "GB"]]);
	});

	it("errors for a player who left, and for bad arguments or a non-yieldable caller", async () => {
		const vm = await vmOf();
		const [left, bad, missing, noYield] = await vm.run(
			lua(`
			local p = addPlayer("Gone", {country = "DE"})
			p.Parent = nil
			local function err(f) return select(2, pcall(f)) end
			return err(function() return Localization:GetCountryRegionForPlayerAsync(p) end),
				err(function() return Localization:GetCountryRegionForPlayerAsync(workspace) end),
				err(function() return Localization:GetCountryRegionForPlayerAsync() end),
				err(function() string.gsub("a", "a", function() Localization:GetCountryRegionForPlayerAsync(addPlayer("X", nil)) end) end)`),
		);
		expect(left).toBe("Player Gone is not in the game");
		expect(bad).toBe("Unable to cast Instance to Player");
		expect(missing).toBe("Argument 1 missing or nil");
		expect(noYield).toMatch(/attempt to yield across metamethod\/C-call boundary/);
	});

	it("works on a client for its player", async () => {
		const vm = await vmOf("client");
		const [country] = await vm.run(
			lua(`return Localization:GetCountryRegionForPlayerAsync(addPlayer("Me", {country = "JP"}))`),
		);
		expect(country).toBe("JP");
	});
});

describe("locale ids", () => {
	it("are read-only en-us by default and configurable", async () => {
		const vm = await vmOf();
		const [roblox, system, err] = await vm.run(
			lua(`return Localization.RobloxLocaleId, Localization.SystemLocaleId,
				select(2, pcall(function() Localization.RobloxLocaleId = "fr-fr" end))`),
		);
		expect([roblox, system]).toEqual(["en-us", "en-us"]);
		expect(err).toMatch(/read only/);
		const de = await vmOf("client", { localeId: "de-de" });
		expect(await de.run(lua(`return Localization.SystemLocaleId`))).toEqual(["de-de"]);
	});
});

describe("with the Players emulation (World)", () => {
	it("answers with the joining player's country and locale", async () => {
		const world = await World.create();
		vms.push(world);
		await world.start();
		await world.addPlayer({ userId: 11, name: "hans", country: "DE", locale: "de-de" });
		await world.addPlayer({ userId: 12, name: "sam" });
		await world.advance(0.1);
		const [de, us] = await world.run<[string, string]>(
			"server",
			`local Players = game:GetService("Players")
			local L = game:GetService("LocalizationService")
			return L:GetCountryRegionForPlayerAsync(Players:GetPlayerByUserId(11)), L:GetCountryRegionForPlayerAsync(Players:GetPlayerByUserId(12))`,
		);
		expect([de, us]).toEqual(["DE", "US"]);
		expect(await world.run(11, `return game:GetService("LocalizationService").SystemLocaleId`)).toEqual(["de-de"]);
	});
});
