import { describe, expect, it } from "vitest";
import { createProgressReporter } from "./progress.js";

function fakeOutput(isTTY: boolean) {
	const writes: string[] = [];
	return { writes, out: { isTTY, write: (text: string) => writes.push(text) } };
}

describe("createProgressReporter on a terminal", () => {
	it("redraws one bar in place with \\r, at most every redrawMs, and always at 100 %", () => {
		const { writes, out } = fakeOutput(true);
		const clock = { now: 0 };
		const progress = createProgressReporter(out, { now: () => clock.now, redrawMs: 100 });
		progress.update(0, 4, "day 1 of 4");
		clock.now = 50;
		progress.update(1, 4, "day 2 of 4");
		clock.now = 150;
		progress.update(2, 4, "day 3 of 4");
		clock.now = 160;
		progress.update(4, 4, "done");
		expect(writes).toEqual([
			`\r[${".".repeat(30)}]   0%  day 1 of 4`,
			`\r[${"#".repeat(15)}${".".repeat(15)}]  50%  day 3 of 4`,
			// Spaces cover what the longer line before left on screen.
			`\r[${"#".repeat(30)}] 100%  done      `,
		]);
		progress.finish("Live.");
		expect(writes.slice(3)).toEqual(["\n", "Live.\n"]);
	});

	it("prints only the message when no bar was drawn", () => {
		const { writes, out } = fakeOutput(true);
		createProgressReporter(out).finish("Live.");
		expect(writes).toEqual(["Live.\n"]);
	});
});

describe("createProgressReporter without a terminal", () => {
	it("prints a plain line per 10 % step, per lineEveryMs, and the last one once", () => {
		const { writes, out } = fakeOutput(false);
		const clock = { now: 0 };
		const progress = createProgressReporter(out, { now: () => clock.now, lineEveryMs: 15_000 });
		for (let day = 0; day < 28; day++) {
			clock.now = day * 100;
			progress.update(day, 28, `day ${day + 1} of 28`);
		}
		progress.update(28, 28, "history done");
		progress.update(28, 28, "history done");
		expect(writes).toEqual([
			"  0%  day 1 of 28 (0/28)\n",
			" 10%  day 4 of 28 (3/28)\n",
			" 21%  day 7 of 28 (6/28)\n",
			" 32%  day 10 of 28 (9/28)\n",
			" 42%  day 13 of 28 (12/28)\n",
			" 50%  day 15 of 28 (14/28)\n",
			" 60%  day 18 of 28 (17/28)\n",
			" 71%  day 21 of 28 (20/28)\n",
			" 82%  day 24 of 28 (23/28)\n",
			" 92%  day 27 of 28 (26/28)\n",
			"100%  history done (28/28)\n",
		]);
		expect(writes.join("")).not.toContain("\r");
	});

	it("prints a line when a slow step takes longer than lineEveryMs", () => {
		const { writes, out } = fakeOutput(false);
		const clock = { now: 0 };
		const progress = createProgressReporter(out, { now: () => clock.now, lineEveryMs: 15_000 });
		progress.update(0, 100, "a");
		clock.now = 14_999;
		progress.update(1, 100, "b");
		clock.now = 15_000;
		progress.update(2, 100, "c");
		expect(writes).toEqual(["  0%  a (0/100)\n", "  2%  c (2/100)\n"]);
	});

	it("survives a total of 0", () => {
		const { writes, out } = fakeOutput(false);
		createProgressReporter(out).update(0, 0, "nothing");
		expect(writes).toEqual(["  0%  nothing (0/0)\n"]);
	});
});
