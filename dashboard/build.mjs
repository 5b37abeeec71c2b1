// Builds the dashboard's browser bundle with esbuild: dashboard/src/main.tsx (Preact + uPlot) and its CSS into
// dashboard/dist/ under content-hashed names, plus manifest.json, which the server reads to link and serve them.
// Runs from `npm run build:dashboard` (npm ci's postinstall and npm start's prestart call it); takes well under a second.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
// Built into a folder of its own, then swapped in with two renames: a server starting meanwhile finds a whole build (but
// for the instant between the renames), never a half-written folder; old hashed files do not pile up.
const outdir = join(here, `dist.building-${process.pid}`);
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await build({
	entryPoints: { main: join(here, "src", "main.tsx") },
	outdir,
	bundle: true,
	format: "esm",
	// Browsers of the last few years; nothing is polyfilled.
	target: ["es2022", "chrome100", "firefox100", "safari16"],
	minify: true,
	sourcemap: "linked",
	entryNames: "[name]-[hash]",
	assetNames: "[name]-[hash]",
	jsx: "automatic",
	jsxImportSource: "preact",
	metafile: true,
	legalComments: "linked",
	logLevel: "warning",
	define: { "process.env.NODE_ENV": '"production"' },
});

// The entry's script and the stylesheet esbuild gathered from its CSS imports.
const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([, meta]) => meta.entryPoint !== undefined && meta.cssBundle !== undefined);
if (!entry) throw new Error("esbuild produced no entry with a CSS bundle");
const [script, meta] = entry;
const manifest = {
	script: basename(script),
	style: basename(meta.cssBundle),
	files: outputs.map(([file]) => basename(file)).sort(),
};
writeFileSync(join(outdir, "manifest.json"), `${JSON.stringify(manifest, null, "\t")}\n`);
const old = join(here, `dist.old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(outdir, dist);
rmSync(old, { recursive: true, force: true });
console.log(`dashboard built: ${manifest.files.join(", ")}`);
