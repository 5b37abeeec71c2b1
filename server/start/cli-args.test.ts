import { describe, expect, it } from "vitest";
import { MAX_DAYS, MAX_PLAYERS, START_DEFAULTS, START_USAGE, parseStartArgs } from "./cli-args.js";

describe("parseStartArgs", () => {
	it("takes the defaults when given nothing", () => {
		expect(parseStartArgs([])).toEqual({
			ok: true,
			options: { noSim: false, players: 2000, days: 28, help: false },
		});
		expect(START_DEFAULTS).toEqual({ noSim: false, players: 2000, days: 28, help: false });
	});

	it.each([
		[["--no-sim"], { noSim: true }],
		[["--players", "500"], { players: 500 }],
		[["--players=500"], { players: 500 }],
		[["--days", "7"], { days: 7 }],
		[["--days", "1", "--players", "1"], { days: 1, players: 1 }],
		[["--days", String(MAX_DAYS), "--players", String(MAX_PLAYERS)], { days: MAX_DAYS, players: MAX_PLAYERS }],
		[["--days", "007"], { days: 7 }],
		[["--help"], { help: true }],
		[["-h"], { help: true }],
		[["--no-sim", "--players", "50", "--days", "3"], { noSim: true, players: 50, days: 3 }],
	])("reads %j", (argv, expected) => {
		expect(parseStartArgs(argv)).toEqual({ ok: true, options: { ...START_DEFAULTS, ...expected } });
	});

	it.each([
		[["--bogus"], /^Unknown option "--bogus"\.$/],
		[["-x"], /^Unknown option "-x"\.$/],
		[["--nosim"], /Unknown option "--nosim"/],
		[["sim"], /^Unexpected argument "sim"/],
		[["--players"], /--players/],
		[["--players", "--days", "3"], /--players/],
		[["--no-sim=yes"], /--no-sim/],
		[["--players", "0"], /--players takes a whole number from 1 to 1000000, not "0"/],
		[["--players", "-5"], /--players/],
		[["--players", "1e3"], /--players takes a whole number.*"1e3"/],
		[["--players", "2.5"], /--players/],
		[["--players", ""], /--players/],
		[["--players", String(MAX_PLAYERS + 1)], /--players/],
		[["--days", "0"], /--days takes a whole number from 1 to 365, not "0"/],
		[["--days", "366"], /--days/],
		[["--days", "seven"], /--days.*"seven"/],
	])("refuses %j with a message naming the problem", (argv, message) => {
		const result = parseStartArgs(argv);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.message).toMatch(message);
	});

	it("documents every flag in the usage", () => {
		for (const flag of ["--no-sim", "--players N", "--days N", "--help"]) expect(START_USAGE).toContain(flag);
	});
});
