import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { csvField, csvHeader, csvLine, toCsv } from "./csv.js";

/**
 * An independent RFC 4180 parser: every record as an array of strings. Any line break outside quotes ends a record,
 * as spreadsheets read it, so a CR or LF left unquoted shows up as a broken record.
 */
function parseCsv(text: string): string[][] {
	return parse(text, { record_delimiter: ["\r\n", "\r", "\n"], relax_column_count: false }) as string[][];
}

describe("csvField", () => {
	it.each([
		["plain text", "level_up", "level_up"],
		["a comma", "a,b", '"a,b"'],
		["a quote", 'say "hi"', '"say ""hi"""'],
		["only a quote", '"', '""""'],
		["LF", "a\nb", '"a\nb"'],
		["CR", "a\rb", '"a\rb"'],
		["CRLF", "a\r\nb", '"a\r\nb"'],
		["spaces, kept as they are", "  padded  ", "  padded  "],
		["non-ASCII", "é 日本 🎮", "é 日本 🎮"],
		["an empty string", "", ""],
	])("writes %s", (_, value, expected) => {
		expect(csvField(value)).toBe(expected);
	});

	it.each([
		[0, "0"],
		[-0, "0"],
		[42, "42"],
		[-7.25, "-7.25"],
		[0.1 + 0.2, "0.30000000000000004"],
		[1e21, "1000000000000000000000"],
		[1.5e22, "15000000000000000000000"],
		[-2.5e25, "-25000000000000000000000000"],
		[1e-7, "0.0000001"],
		[-1.234e-9, "-0.000000001234"],
		[5e-324, `0.${"0".repeat(323)}5`],
		[Number.MAX_SAFE_INTEGER, "9007199254740991"],
		[1735689600000, "1735689600000"],
	])("writes the number %d as the plain decimal %s", (value, expected) => {
		expect(csvField(value)).toBe(expected);
		expect(Number(expected)).toBe(value === 0 ? 0 : value);
	});

	it.each([
		["null", null],
		["undefined", undefined],
		["NaN", Number.NaN],
		["Infinity", Number.POSITIVE_INFINITY],
	])("writes %s as an empty field", (_, value) => {
		expect(csvField(value)).toBe("");
	});

	it("writes booleans, bigints, dates and objects", () => {
		expect(csvField(true)).toBe("true");
		expect(csvField(12345678901234567890n)).toBe("12345678901234567890");
		expect(csvField(new Date(Date.UTC(2025, 0, 1)))).toBe("2025-01-01T00:00:00.000Z");
		expect(csvField({ a: 1, b: "x,y" })).toBe('"{""a"":1,""b"":""x,y""}"');
	});

	it("guards text that spreadsheets would evaluate only when asked, and never numbers", () => {
		expect(csvField("=1+2")).toBe("=1+2");
		for (const text of ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]) {
			expect(csvField(text, { formulaGuard: true }).replace(/^"/, "")).toMatch(/^'/);
		}
		expect(csvField('=HYPERLINK("x")', { formulaGuard: true })).toBe('"\'=HYPERLINK(""x"")"');
		expect(csvField(-5, { formulaGuard: true })).toBe("-5");
		expect(csvField("safe", { formulaGuard: true })).toBe("safe");
	});
});

describe("csvLine and toCsv", () => {
	it("ends every record with CRLF, including the header", () => {
		expect(csvHeader(["a", "b"])).toBe("a,b\r\n");
		expect(csvLine(["x", 1, null, undefined])).toBe("x,1,,\r\n");
		expect(toCsv(["day", "users"], [["2025-01-01", 120]])).toBe("day,users\r\n2025-01-01,120\r\n");
		expect(toCsv(["only"], [])).toBe("only\r\n");
	});

	it("round-trips awkward text through an independent RFC 4180 parser", () => {
		const rows = [
			["comma", "a,b,c"],
			["quotes", 'He said "no", twice ""'],
			["lf", "line1\nline2"],
			["cr", "line1\rline2"],
			["crlf", "line1\r\nline2\r\n"],
			["accents", "é à ç ñ ü"],
			["cjk", "日本語のテキスト"],
			["emoji", "🎮🔥 👩‍👩‍👧 🇯🇵"],
			["everything", ' ,"\r\n é 日本 😀 '],
			["empty", ""],
		];
		const text = toCsv(["case", "value"], rows);
		expect(parseCsv(text)).toEqual([["case", "value"], ...rows]);
		// What the response carries: the same after a UTF-8 round trip.
		const bytes = new TextEncoder().encode(text);
		expect(parseCsv(new TextDecoder("utf-8", { fatal: true }).decode(bytes))).toEqual([["case", "value"], ...rows]);
	});

	it("round-trips numbers as numbers and missing values as empty fields", () => {
		const text = toCsv(
			["n", "missing"],
			[
				[1e21, null],
				[-1.5e-7, undefined],
				[3, Number.NaN],
			],
		);
		const parsed = parseCsv(text);
		expect(parsed.slice(1).map(([n, missing]) => [Number(n), missing])).toEqual([
			[1e21, ""],
			[-1.5e-7, ""],
			[3, ""],
		]);
	});
});
