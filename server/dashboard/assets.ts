import { readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { z } from "zod";

/** Where `npm run build:dashboard` (dashboard/build.mjs) writes the bundle and its manifest. */
export const DASHBOARD_BUILD_DIR = join(import.meta.dirname, "..", "..", "dashboard", "dist");
export const MANIFEST_FILE = "manifest.json";

/** What the build writes beside the bundle: the entry files and every file that may be served. */
const manifestSchema = z.object({
	script: z.string(),
	style: z.string(),
	files: z.array(z.string()),
});
export type DashboardManifest = z.infer<typeof manifestSchema>;

/** One servable file, with its gzip form when that is smaller (text assets). */
export interface DashboardAsset {
	body: Uint8Array;
	gzip: Uint8Array | undefined;
	contentType: string;
}

/** The built dashboard, held in memory: a few hundred KB, read once at start. */
export interface DashboardAssets {
	/** File name (no path) of the entry script and of its stylesheet. */
	script: string;
	style: string;
	/** Every servable file by name; names carry a content hash, so each may be cached forever. */
	files: ReadonlyMap<string, DashboardAsset>;
}

/** The dashboard has not been built: the server still runs, and its pages say how to build it. */
export class DashboardNotBuiltError extends Error {
	override readonly name = "DashboardNotBuiltError";
	constructor(dir: string, cause: unknown) {
		super(`The dashboard is not built in ${dir}: run npm run build:dashboard`, { cause });
	}
}

const CONTENT_TYPES: Record<string, string> = {
	".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".map": "application/json; charset=utf-8",
	".svg": "image/svg+xml",
	".woff2": "font/woff2",
	".txt": "text/plain; charset=utf-8",
};

// Hashed names as esbuild writes them ([name]-[hash].ext); anything else in the folder is never served.
const ASSET_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Reads the built dashboard (manifest and files) from `dir`; a missing or broken build is a
 * {@link DashboardNotBuiltError}.
 *
 * @example
 * const assets = loadDashboardAssets(); // dashboard/dist
 */
export function loadDashboardAssets(dir: string = DASHBOARD_BUILD_DIR): DashboardAssets {
	try {
		const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8")));
		const files: Record<string, Uint8Array> = {};
		for (const name of manifest.files) files[name] = readFileSync(join(dir, basename(name)));
		return dashboardAssets(manifest, files);
	} catch (error) {
		throw new DashboardNotBuiltError(dir, error);
	}
}

/**
 * Dashboard assets from files in memory (tests build a tiny dashboard this way); text files are gzipped once here.
 *
 * @example
 * const assets = dashboardAssets({ script: "main-1.js", style: "main-1.css", files: [] }, { "main-1.js": "…" });
 */
export function dashboardAssets(
	manifest: Pick<DashboardManifest, "script" | "style">,
	contents: Record<string, string | Uint8Array>,
): DashboardAssets {
	const files = new Map<string, DashboardAsset>();
	for (const [name, content] of Object.entries(contents)) {
		if (!ASSET_NAME.test(name)) throw new Error(`unexpected asset name "${name}"`);
		const body = typeof content === "string" ? Buffer.from(content) : content;
		const contentType = CONTENT_TYPES[extname(name)] ?? "application/octet-stream";
		const compressible = contentType.startsWith("text/") || contentType.includes("json") || name.endsWith(".svg");
		const gzip = compressible ? gzipSync(body, { level: 9 }) : undefined;
		files.set(name, { body, gzip: gzip && gzip.byteLength < body.byteLength ? gzip : undefined, contentType });
	}
	for (const entry of [manifest.script, manifest.style]) {
		if (!files.has(entry)) throw new Error(`the manifest names ${entry}, which is not among the files`);
	}
	return { script: manifest.script, style: manifest.style, files };
}
