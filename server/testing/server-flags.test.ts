// The backend's V8 flags (SERVER_NODE_FLAGS) are the same wherever a backend process starts: `npm start`, the systemd
// unit of deploy/, and the servers tests and benchmarks spawn (child-server.ts uses the list itself).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SERVER_NODE_FLAGS } from "./child-server.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** The node flags of a command line: the arguments between `node` and `--import`. */
function nodeFlags(commandLine: string): string[] {
	const words = commandLine.trim().split(/\s+/);
	const node = words.findIndex((word) => word === "node" || word.endsWith("/node"));
	const entry = words.indexOf("--import");
	if (node < 0 || entry < node) throw new Error(`not a node command line: ${commandLine}`);
	return words.slice(node + 1, entry);
}

describe("the backend's node flags", () => {
	it("are the same for npm start, deploy/vantage@.service and the spawned servers", () => {
		const scripts = (
			JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
		).scripts;
		const unit = readFileSync(join(ROOT, "deploy", "vantage@.service"), "utf8");
		const execStart = unit.split("\n").find((line) => line.startsWith("ExecStart="));
		expect(SERVER_NODE_FLAGS.length).toBeGreaterThan(0);
		expect(nodeFlags(scripts.start!)).toEqual(SERVER_NODE_FLAGS);
		expect(nodeFlags(execStart!.slice("ExecStart=".length))).toEqual(SERVER_NODE_FLAGS);
	});

	it("are flags this node accepts", () => {
		const run = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, "-e", "0"], { encoding: "utf8" });
		expect(run.stderr).toBe("");
		expect(run.status).toBe(0);
	});
});
