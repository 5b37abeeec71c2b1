import { describe, expect, it } from "vitest";
import type { Economy } from "../analytics-types.js";
import {
	currenciesBySize,
	economySize,
	economyStats,
	flowChart,
	hasEconomy,
	itemRows,
	pickCurrency,
	supplyChart,
	type Currency,
} from "./economy-data.js";

function currency(name: string, sources: number, sinks: number): Currency {
	return {
		currency: name,
		sources,
		sinks,
		net: sources - sinks,
		days: [
			{ date: "2025-01-01", sources, sinks: 0, net: sources, supply: 100 + sources, inflation: null },
			{ date: "2025-01-02", sources: 0, sinks, net: -sinks, supply: 100 + sources - sinks, inflation: null },
		],
		items: [
			{ flow: "source", itemType: "LevelReward", itemId: "Level1", amount: sources, events: 4 },
			{ flow: "sink", itemType: "", itemId: "", amount: sinks, events: 1 },
		],
	};
}

const segment = { segment: null, currencies: [currency("Gems", 5, 1), currency("Coins", 300, 40)] };

describe("economy numbers", () => {
	it("orders currencies by what moved and picks the one asked for, else the largest", () => {
		expect(currenciesBySize(segment).map((c) => c.currency)).toEqual(["Coins", "Gems"]);
		expect(pickCurrency(segment, "Gems")?.currency).toBe("Gems");
		expect(pickCurrency(segment, "Tickets")?.currency).toBe("Coins");
		expect(economySize(segment)).toBe(346);
		const answer = { segments: [{ segment: null, currencies: [] }] } as unknown as Economy;
		expect(hasEconomy(answer)).toBe(false);
	});

	it("draws sources above zero and sinks below it as bars, with the net flow as a line", () => {
		const chart = flowChart(currency("Coins", 300, 40));
		expect(chart.x).toEqual([Date.UTC(2025, 0, 1) / 1000, Date.UTC(2025, 0, 2) / 1000]);
		expect(chart.series).toEqual([
			{ label: "Earned (sources)", values: [300, 0], bars: true },
			{ label: "Spent (sinks, below zero)", values: [-0, -40], bars: true },
			{ label: "Net flow", values: [300, -40] },
		]);
		expect(supplyChart(currency("Coins", 300, 40)).series).toEqual([
			{ label: "Coins in circulation", values: [400, 360] },
		]);
	});

	it("sums the range up, with the supply at its start and end", () => {
		expect(economyStats(currency("Coins", 300, 40)).map((s) => [s.label, s.value, s.help])).toEqual([
			["Earned", "300", "Amount players gained (sources) in the range."],
			["Spent", "40", "Amount players spent (sinks) in the range."],
			["Net flow", "260", "Earned − spent: above zero, the supply grows."],
			["Money supply", "360", "In circulation at the end of the range (100 at its start)."],
		]);
	});

	it("lists flows by item, naming blanks", () => {
		expect(itemRows(currency("Coins", 300, 40)).map((r) => r.cells)).toEqual([
			["Level1", "LevelReward", "Earned", "300", "4"],
			["(none)", "(none)", "Spent", "40", "1"],
		]);
	});
});
