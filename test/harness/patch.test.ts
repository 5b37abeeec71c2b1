// patch-luau-web.mjs: the reproducible heap patch of luau-web's embedded WASM (see the script's header).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import * as patch from "./patch-luau-web.mjs";
import { RobloxVm } from "./vm.js";

type Pages = { min: number; max: number };
const { PAGES, patchWasm, readMemoryPages, patchedPages, extractWasm } = patch as {
	PAGES: number;
	patchWasm(wasm: Buffer, pages?: number): Buffer;
	readMemoryPages(wasm: Buffer): Pages;
	patchedPages(): Pages;
	extractWasm(js: string): { from: number; end: number; wasm: Buffer };
};

const validate = (wasm: Uint8Array): boolean =>
	(globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(wasm);
const ORIGINAL_SECTION = [0x05, 0x06, 0x01, 0x01, 0x92, 0x02, 0x92, 0x02];
const bytes = (...parts: number[][]) => Buffer.from(parts.flat());

describe("patchWasm", () => {
	it("rewrites the 274/274-page memory section to PAGES, keeping every other byte", () => {
		const input = bytes([0x00, 0x61, 0x73, 0x6d], ORIGINAL_SECTION, [0xaa, 0xbb]);
		const out = patchWasm(input);
		expect(out.length).toBe(input.length);
		expect(readMemoryPages(out)).toEqual({ min: PAGES, max: PAGES });
		expect([...out.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x05, 0x06, 0x01, 0x01]);
		expect([...out.subarray(12)]).toEqual([0xaa, 0xbb]);
		expect([...input.subarray(4, 12)]).toEqual(ORIGINAL_SECTION); // the input is not modified
	});

	it("rejects a module whose memory section is not the expected one", () => {
		const other = bytes([0x00, 0x61, 0x73, 0x6d], [0x05, 0x06, 0x01, 0x01, 0x93, 0x02, 0x93, 0x02]);
		expect(() => patchWasm(other)).toThrow(
			/memory section 274\/274 pages not found; the package changed, update the patch/,
		);
		const noMax = bytes([0x05, 0x04, 0x01, 0x00, 0x92, 0x02]);
		expect(() => patchWasm(noMax)).toThrow(/not found/);
		const twice = bytes(ORIGINAL_SECTION, [0x00], ORIGINAL_SECTION);
		expect(() => patchWasm(twice)).toThrow(/not unique/);
	});

	it("refuses page counts that do not fit the same two bytes", () => {
		expect(() => patchWasm(bytes(ORIGINAL_SECTION), 20000)).toThrow(/does not fit a 2-byte LEB128/);
		expect(() => patchWasm(bytes(ORIGINAL_SECTION), 100)).toThrow(/does not fit a 2-byte LEB128/);
	});

	it("patches the real luau-web 1.4.0 module into one that validates", () => {
		const require = createRequire(import.meta.url);
		const pkgDir = dirname(require.resolve("luau-web/package.json"));
		const js = readFileSync(join(pkgDir, "src", "lib", "Luau.Web.Asyncify.js"), "utf8");
		const { wasm } = extractWasm(js);
		expect(validate(wasm)).toBe(true);
		expect(wasm.indexOf(Buffer.from(ORIGINAL_SECTION))).toBeGreaterThan(0);
		const patched = patchWasm(wasm);
		expect(validate(patched)).toBe(true);
		expect(readMemoryPages(patched)).toEqual({ min: PAGES, max: PAGES });
	});
});

describe("the patched copy", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await RobloxVm.create({ role: "server", services: false });
	});
	afterAll(() => vm.destroy());

	it("has 8192 pages (512 MiB)", () => {
		expect(PAGES).toBe(8192);
		expect(patchedPages()).toEqual({ min: 8192, max: 8192 });
	});

	it("lets a VM hold far more than the stock 17.9 MB (a 100 MB string and a 2M-entry table)", async () => {
		const [len, entries, kb] = await vm.run<[number, number, number]>(`
			local s = string.rep("x", 100 * 1024 * 1024)
			local t = table.create(2000000)
			for i = 1, 2000000 do t[i] = i * 2 end
			_G.keep = { s, t }
			return #s, #t, gcinfo()`);
		expect(len).toBe(100 * 1024 * 1024);
		expect(entries).toBe(2_000_000);
		expect(kb * 1024).toBeGreaterThan(130 * 1024 * 1024);
	});
});
