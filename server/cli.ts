import { text } from "node:stream/consumers";
import { runCli } from "./cli/run-cli.js";

// `npm run vantage -- <command>`: administration on the data directory (keys, users, signing keys).
runCli(process.argv.slice(2), {
	env: process.env,
	stdout: process.stdout,
	stderr: process.stderr,
	readStdin: () => text(process.stdin),
}).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
		process.exitCode = 1;
	},
);
