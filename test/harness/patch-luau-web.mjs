// Makes a copy of luau-web with a larger WebAssembly heap.
//
// luau-web 1.4.0 defines its memory inside the module with min = max = 274 pages (17.9 MB) and no growth, which
// runs out after a handful of Jest Lua spec files. There is no supported setting, so this script copies the
// package to test/harness/.luau-web and rewrites the memory section's limits in the embedded WASM (a same-length
// LEB128 edit). It verifies the exact bytes it replaces and fails loudly if the package ever changes.
// Runs from `npm ci` (postinstall); idempotent.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PAGES = 8192; // 64 KiB pages → 512 MiB, reserved lazily by the OS
const here = dirname(fileURLToPath(import.meta.url));
export const PATCHED_DIR = join(here, ".luau-web");
const LIB = "lib/Luau.Web.Asyncify.js";
const MARKER = 'return base64Decode("';

// memory section: id 5, size 6, one memory, flags 1 (has max), min 274, max 274 (LEB128 0x92 0x02)
const ORIGINAL = Buffer.from([0x05, 0x06, 0x01, 0x01, 0x92, 0x02, 0x92, 0x02]);

function leb2(n) {
	if (n < 128 || n > 16383) throw new Error(`page count ${n} does not fit a 2-byte LEB128`);
	return [0x80 | (n & 0x7f), n >> 7];
}

/**
 * Rewrites the memory section (min = max = 274 pages) to min = max = `pages`, keeping every other byte. Throws if the
 * exact expected section is not found exactly once.
 */
export function patchWasm(wasm, pages = PAGES) {
	const at = wasm.indexOf(ORIGINAL);
	if (at < 0)
		throw new Error("luau-web: memory section 274/274 pages not found; the package changed, update the patch");
	if (wasm.indexOf(ORIGINAL, at + 1) >= 0) throw new Error("luau-web: memory section pattern is not unique");
	const out = Buffer.from(wasm);
	Buffer.from([0x05, 0x06, 0x01, 0x01, ...leb2(pages), ...leb2(pages)]).copy(out, at);
	return out;
}

/** The memory limits (in 64 KiB pages) of a module patched by patchWasm (two 2-byte LEB128 numbers). */
export function readMemoryPages(wasm) {
	const at = wasm.indexOf(Buffer.from([0x05, 0x06, 0x01, 0x01]));
	if (at < 0) throw new Error("luau-web: no memory section with 2-byte limits found");
	const b = wasm.subarray(at + 4, at + 8);
	return { min: (b[0] & 0x7f) | (b[1] << 7), max: (b[2] & 0x7f) | (b[3] << 7) };
}

/** The WASM module embedded (base64) in luau-web's Asyncify build, and where its text sits in the JS. */
export function extractWasm(js) {
	const start = js.indexOf(MARKER);
	if (start < 0) throw new Error("luau-web: embedded WASM not found in " + LIB);
	const from = start + MARKER.length;
	const end = js.indexOf('"', from);
	return { from, end, wasm: Buffer.from(js.slice(from, end), "base64") };
}

export function patchedPages() {
	const js = readFileSync(join(PATCHED_DIR, "src", LIB), "utf8");
	return readMemoryPages(extractWasm(js).wasm);
}

function main() {
	const require = createRequire(import.meta.url);
	const pkgDir = dirname(require.resolve("luau-web/package.json"));
	const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
	if (pkg.version !== "1.4.0") throw new Error(`luau-web ${pkg.version}: the heap patch was verified on 1.4.0 only`);
	const js = readFileSync(join(pkgDir, "src", LIB), "utf8");
	const { from, end, wasm } = extractWasm(js);
	const patched = patchWasm(wasm);
	if (!WebAssembly.validate(patched)) throw new Error("luau-web: patched WASM does not validate");
	if (existsSync(PATCHED_DIR)) rmSync(PATCHED_DIR, { recursive: true });
	mkdirSync(PATCHED_DIR, { recursive: true });
	cpSync(join(pkgDir, "src"), join(PATCHED_DIR, "src"), { recursive: true });
	writeFileSync(join(PATCHED_DIR, "package.json"), JSON.stringify({ type: "module", main: "src/index.js" }));
	writeFileSync(join(PATCHED_DIR, "src", LIB), js.slice(0, from) + patched.toString("base64") + js.slice(end));
	const pages = patchedPages();
	if (pages.min !== PAGES || pages.max !== PAGES) throw new Error("luau-web: patch did not apply");
	console.log(`luau-web heap patched: ${PAGES} pages (${(PAGES * 65536) / 2 ** 20} MiB) in ${PATCHED_DIR}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
