import { describe, expect, it } from "vitest";
import { generatePlayers } from "./synthetic.js";

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

describe("generatePlayers", () => {
	const players = generatePlayers({ players: 4000, days: 63, start: START, seed: 3 });

	it("is deterministic for a seed and differs across seeds", () => {
		expect(generatePlayers({ players: 50, seed: 3, start: START, days: 63 })).toEqual(players.slice(0, 50));
		expect(generatePlayers({ players: 50, seed: 4, start: START, days: 63 })).not.toEqual(players.slice(0, 50));
	});

	it("emits each player's events in time order, within the history, nothing after the day they quit", () => {
		for (const p of players) {
			for (let i = 1; i < p.events.length; i++) expect(p.events[i]!.time).toBeGreaterThanOrEqual(p.events[i - 1]!.time);
			for (const e of p.events) {
				expect(e.userId).toBe(p.userId);
				expect(e.time).toBeGreaterThanOrEqual(START);
				expect(e.time).toBeLessThan(START + 64 * DAY);
				if (p.quitDay !== undefined) expect(e.time).toBeLessThan(START + (p.quitDay + 1) * DAY);
			}
		}
	});

	it("plants the signal: players whose first session is short quit sooner", () => {
		// First-session minutes split at the median; the short half must quit on its first day more often.
		const rows = players.map((p) => ({
			minutes: Number(p.events.find((e) => e.type === "session_end")!.props.duration) / 60,
			quitFirstDay: p.quitDay !== undefined && p.quitDay === Math.floor((p.events[0]!.time - START) / DAY),
		}));
		const median = [...rows].map((r) => r.minutes).sort((a, b) => a - b)[rows.length >> 1]!;
		const share = (list: typeof rows) => list.filter((r) => r.quitFirstDay).length / list.length;
		const short = share(rows.filter((r) => r.minutes < median));
		const long = share(rows.filter((r) => r.minutes >= median));
		expect(short).toBeGreaterThan(long + 0.1);
	});
});
