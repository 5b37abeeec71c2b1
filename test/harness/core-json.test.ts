// H.jsonEncode / H.jsonDecode (the engine behind HttpService:JSONEncode/JSONDecode) against the documented
// behaviour (reference/engine/classes/HttpService): arrays vs dictionaries, "[]" for an empty table, arrays taking
// priority over string keys in mixed tables, cyclic tables erroring, NaN/inf allowed; strict mode for the harness.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RobloxVm, type ServicePlugin } from "./vm.js";

let dir: string;
let vm: RobloxVm;
let strict: RobloxVm;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), "harness-json-"));
	const chunk = join(dir, "expose-json.luau");
	writeFileSync(chunk, `local H = ... _G.json = { encode = H.jsonEncode, decode = H.jsonDecode }`);
	const plugin: ServicePlugin = { name: "ExposeJson", chunks: [chunk] };
	vm = await RobloxVm.create({ role: "server", services: false, plugins: [plugin] });
	strict = await RobloxVm.create({ role: "server", services: false, plugins: [plugin], config: { jsonStrict: true } });
});
afterAll(() => {
	vm.destroy();
	strict.destroy();
	rmSync(dir, { recursive: true, force: true });
});

async function encode(luauValue: string, target = vm): Promise<string> {
	const [out] = await target.run<[string]>(`return _G.json.encode(${luauValue})`);
	return out;
}
async function encodeError(luauValue: string, target = vm): Promise<string> {
	const [ok, err] = await target.run<[boolean, string]>(
		`local ok, e = pcall(_G.json.encode, ${luauValue}) return ok, tostring(e)`,
	);
	expect(ok, `encoding ${luauValue} should fail`).toBe(false);
	return err;
}
async function decodeError(json: string): Promise<string> {
	const [ok, err] = await vm.run<[boolean, string]>(
		`local ok, e = pcall(_G.json.decode, ${luaLong(json)}) return ok, tostring(e)`,
	);
	expect(ok, `decoding ${JSON.stringify(json)} should fail`).toBe(false);
	return err;
}
function luaLong(s: string): string {
	return `[==[${s}]==]`;
}

describe("jsonEncode", () => {
	it("writes sequences as arrays and string-keyed tables as objects; an empty table is []", async () => {
		expect(await encode(`{ 1, "two", true, false }`)).toBe(`[1,"two",true,false]`);
		expect(JSON.parse(await encode(`{ a = 1, b = { c = "d" } }`))).toEqual({ a: 1, b: { c: "d" } });
		expect(await encode(`{}`)).toBe(`[]`);
		expect(await encode(`{ list = {}, n = nil }`)).toBe(`{"list":[]}`);
		expect(await encode(`"plain"`)).toBe(`"plain"`);
		expect(await encode(`nil`)).toBe(`null`);
	});

	it("gives the array priority in a mixed table (string keys ignored), or errors in strict mode", async () => {
		expect(await encode(`{ 1, 2, name = "x" }`)).toBe(`[1,2]`);
		expect(await encodeError(`{ 1, 2, name = "x" }`, strict)).toMatch(
			/^Can't convert to JSON: table has both number and string keys$/,
		);
	});

	it("errors on number keys that are not a sequence and on other key types", async () => {
		expect(await encodeError(`{ [1] = 1, [3] = 3 }`)).toMatch(/^Can't convert to JSON: .*not a sequence/);
		expect(await encodeError(`{ [2] = "x" }`)).toMatch(/^Can't convert to JSON/);
		expect(await encodeError(`{ [1.5] = "x" }`)).toMatch(/^Can't convert to JSON/);
		expect(await encodeError(`{ [true] = 1 }`)).toMatch(/^Can't convert to JSON: table key of type boolean$/);
		expect(await encodeError(`{ f = print }`)).toMatch(/^Can't convert to JSON: unsupported type function$/);
		expect(await encodeError(`{ i = workspace }`)).toMatch(/^Can't convert to JSON: unsupported type Instance$/);
	});

	it("writes NaN and infinities (not valid JSON, as documented), or errors in strict mode", async () => {
		expect(await encode(`{ 0/0, math.huge, -math.huge }`)).toBe(`[nan,inf,-inf]`);
		expect(await encodeError(`{ x = 0/0 }`, strict)).toMatch(/^Can't convert to JSON: number nan is not valid JSON$/);
		expect(await encodeError(`math.huge`, strict)).toMatch(/^Can't convert to JSON: number inf is not valid JSON$/);
	});

	it("errors on cycles but not on a table used twice", async () => {
		expect(await encodeError(`(function() local t = {} t.self = t return t end)()`)).toBe(
			"Can't convert to JSON: table is cyclic",
		);
		expect(await encodeError(`(function() local a, b = {}, {} a[1] = b b[1] = a return a end)()`)).toBe(
			"Can't convert to JSON: table is cyclic",
		);
		expect(await encode(`(function() local t = { 1 } return { t, t } end)()`)).toBe(`[[1],[1]]`);
	});

	it("escapes quotes, backslashes and control characters; keeps UTF-8 as is", async () => {
		const out = await encode(`"q\\"b\\\\n\\nt\\tc\\1é😀"`);
		expect(out).toBe(`"q\\"b\\\\n\\nt\\tc\\u0001é😀"`);
		expect(JSON.parse(out)).toBe('q"b\\n\nt\tc\u0001é😀');
	});

	it("refuses nesting deeper than 512 with an error, not a stack overflow", async () => {
		const deep = (n: number) =>
			`(function() local t = {} local cur = t for i = 1, ${n} do cur[1] = {} cur = cur[1] end return t end)()`;
		expect(JSON.parse(await encode(deep(500)))).toBeInstanceOf(Array);
		expect(await encodeError(deep(10000))).toBe("Can't convert to JSON: nesting too deep");
	});
});

describe("number round trips", () => {
	const values = [
		"0",
		"-0",
		"1",
		"-1",
		"42",
		"123456789012",
		"2^53",
		"-(2^53)",
		"2^60",
		"0.1",
		"1/3",
		"-2.5e-7",
		"1e300",
		"-1e-300",
		"5e-324",
		"1.7976931348623157e308",
		"1e21",
		"123.456",
	];

	it("decode(encode(x)) == x, bit for bit (including -0)", async () => {
		const [ok, failures] = await vm.run<[boolean, string]>(`
			local failures = {}
			for _, x in { ${values.join(", ")} } do
				local s = _G.json.encode(x)
				local y = _G.json.decode(s)
				if y ~= x or (x == 0 and 1 / x ~= 1 / y) then table.insert(failures, tostring(x) .. " -> " .. s) end
			end
			return #failures == 0, table.concat(failures, "; ")`);
		expect(failures).toBe("");
		expect(ok).toBe(true);
	});

	it("writes numbers JavaScript reads back to the same double", async () => {
		const texts = await vm.run<string[]>(
			`local out = {} for _, x in { ${values.join(", ")} } do table.insert(out, _G.json.encode(x)) end return table.unpack(out)`,
		);
		const expected = [
			0,
			-0,
			1,
			-1,
			42,
			123456789012,
			2 ** 53,
			-(2 ** 53),
			2 ** 60,
			0.1,
			1 / 3,
			-2.5e-7,
			1e300,
			-1e-300,
			5e-324,
			1.7976931348623157e308,
			1e21,
			123.456,
		];
		expect(texts.map((t) => JSON.parse(t) as number)).toEqual(expected);
		expect(Object.is(JSON.parse(texts[1]!), -0)).toBe(true);
		expect(texts.slice(0, 5)).toEqual(["0", "-0", "1", "-1", "42"]);
	});
});

describe("jsonDecode", () => {
	it("decodes objects, arrays (1-based), scalars and null", async () => {
		expect(
			await vm.run(`
				local v = _G.json.decode('{"a":[10,20,{"b":null}],"s":"x","t":true,"f":false,"n":-1.5e2}')
				return v.a[1], v.a[2], next(v.a[3]) == nil, v.s, v.t, v.f, v.n, _G.json.decode("[]")[1] == nil, _G.json.decode(" 7 ")`),
		).toEqual([10, 20, true, "x", true, false, -150, true, 7]);
	});

	it("decodes escapes, unicode escapes and surrogate pairs to UTF-8", async () => {
		expect(
			await vm.run(`return _G.json.decode(${luaLong(String.raw`"\"\\\/\b\f\n\r\t\u00e9\u20ac\ud83d\ude00"`)})`),
		).toEqual(['"\\/\b\f\n\r\té€😀']);
		expect(await vm.run(`return _G.json.decode('"raw é 😀"')`)).toEqual(["raw é 😀"]);
	});

	it("decodes a JSON text held in a string (escaped quotes throughout) and DEL, which JSON leaves unescaped", async () => {
		const inner = JSON.stringify({ coins: 12, items: ["a\\b", 'say "hi"'], nested: { t: "\t" } });
		const outer = JSON.stringify({ json: inner, del: "a\u007fb", plain: "x" });
		expect(await vm.run(`local v = _G.json.decode(${luaLong(outer)}) return v.json, v.del, v.plain`)).toEqual([
			inner,
			"a\u007fb",
			"x",
		]);
		// A raw control character below U+0020 stays refused, with or without escapes before it.
		for (const bad of ['"a\u0001"', '"\\n\u0001"']) {
			const [ok] = await vm.run<[boolean]>(`return (pcall(_G.json.decode, ${luaLong(bad)}))`);
			expect(ok, JSON.stringify(bad)).toBe(false);
		}
	});

	it('rejects invalid JSON with "Can\'t parse JSON"', async () => {
		const invalid = [
			"",
			" ",
			"{",
			"}",
			"[1,]",
			"[1 2]",
			"{'a':1}",
			'{"a" 1}',
			'{"a":1,}',
			"01",
			"1.",
			".5",
			"+1",
			"-",
			"1e",
			"1e+",
			"NaN",
			"Infinity",
			"tru",
			"nul",
			'"abc',
			'"\\x"',
			'"\\u12"',
			'"tab\there"',
			"1 2",
			"[1]]",
			"{}x",
		];
		for (const text of invalid) expect(await decodeError(text)).toMatch(/^Can't parse JSON/);
		expect(await decodeError("[")).toMatch(/^Can't parse JSON/);
	});

	it("refuses nesting deeper than 512 with an error, not a stack overflow", async () => {
		expect(await vm.run(`return typeof(_G.json.decode(string.rep("[", 512) .. string.rep("]", 512)))`)).toEqual([
			"table",
		]);
		expect(await decodeError("[".repeat(513) + "]".repeat(513))).toBe("Can't parse JSON: nesting too deep");
		expect(await decodeError("[".repeat(100000))).toBe("Can't parse JSON: nesting too deep");
	});
});
