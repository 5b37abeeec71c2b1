// A real load balancer on loopback for multi-instance tests: Debian's HAProxy (or nginx) running the deploy/ config
// itself, so the tests exercise the timeouts, health checks, body limit and forwarding the deployment guide ships.
// Only the lines marked `# load-balancer.ts: <what>` are rewritten: the address it listens on, the backends, and (nginx)
// the paths it writes to.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "./services.js";

const ROOT = join(import.meta.dirname, "..", "..");
export const HAPROXY_BIN = "/usr/sbin/haproxy";
export const NGINX_BIN = "/usr/sbin/nginx";

export type LoadBalancerKind = "haproxy" | "nginx";

/** Whether the load balancer's binary is installed (Debian's haproxy / nginx packages). */
export function loadBalancerAvailable(kind: LoadBalancerKind): boolean {
	return existsSync(kind === "haproxy" ? HAPROXY_BIN : NGINX_BIN);
}

/** Whether tests needing it must run: always in CI (a missing binary is then a failure), else when installed. */
export function loadBalancerRequired(kind: LoadBalancerKind): boolean {
	return process.env.CI === "true" || loadBalancerAvailable(kind);
}

export interface LoadBalancerOptions {
	/** The instances' ports on 127.0.0.1, in order (`instance1`, …). */
	backends: number[];
	/** @default "haproxy" */
	kind?: LoadBalancerKind;
}

export interface RunningLoadBalancer {
	kind: LoadBalancerKind;
	/** `http://127.0.0.1:<port>`: what clients use. */
	url: string;
	port: number;
	/** The rendered configuration (for failure messages). */
	config: string;
	/** The last lines it logged. */
	output(): string;
	/** Stops it and deletes its files; safe to call twice. */
	stop(): Promise<void>;
}

/**
 * deploy/haproxy.cfg with its `bind` on `127.0.0.1:<port>` and one `server` line per backend port.
 *
 * @example
 * writeFileSync(path, renderHaproxyConfig(readFileSync("deploy/haproxy.cfg", "utf8"), 8080, [8081, 8082]));
 */
export function renderHaproxyConfig(template: string, port: number, backends: readonly number[]): string {
	return rewriteMarked(template, {
		bind: () => [`\tbind 127.0.0.1:${port}`],
		servers: () => backends.map((p, i) => `\tserver instance${i + 1} 127.0.0.1:${p}`),
	});
}

/** deploy/nginx.conf listening on `127.0.0.1:<port>`, one upstream server per backend port, its files under `dir`. */
export function renderNginxConfig(template: string, port: number, backends: readonly number[], dir: string): string {
	return rewriteMarked(template, {
		listen: () => [`\t\tlisten 127.0.0.1:${port};`],
		servers: () => backends.map((p) => `\t\tserver 127.0.0.1:${p} max_fails=2 fail_timeout=5s;`),
		pid: () => [`pid ${join(dir, "nginx.pid")};`],
		error_log: () => [`error_log ${join(dir, "error.log")} warn;`],
		access_log: () => [`\taccess_log ${join(dir, "access.log")};`],
		temp: (line) => [line.replace(/\/var\/lib\/nginx\//, `${dir}/`).replace(/\s*#.*$/, "")],
	});
}

/**
 * Starts the load balancer in the foreground on a free loopback port (its configuration checked first) and resolves
 * once it accepts connections.
 *
 * @example
 * const lb = await startLoadBalancer({ backends: [a.port, b.port] });
 * await fetch(`${lb.url}/readyz`);
 * await lb.stop();
 */
export async function startLoadBalancer(options: LoadBalancerOptions): Promise<RunningLoadBalancer> {
	const kind = options.kind ?? "haproxy";
	if (options.backends.length === 0) throw new Error("a load balancer needs at least one backend");
	const dir = mkdtempSync(join(tmpdir(), `vantage-${kind}-`));
	const port = await freePort();
	const configPath = join(dir, kind === "haproxy" ? "haproxy.cfg" : "nginx.conf");
	const template = readFileSync(join(ROOT, "deploy", kind === "haproxy" ? "haproxy.cfg" : "nginx.conf"), "utf8");
	const config =
		kind === "haproxy"
			? renderHaproxyConfig(template, port, options.backends)
			: renderNginxConfig(template, port, options.backends, dir);
	writeFileSync(configPath, config);

	const bin = kind === "haproxy" ? HAPROXY_BIN : NGINX_BIN;
	const checkArgs = kind === "haproxy" ? ["-c", "-q", "-f", configPath] : ["-t", "-q", "-c", configPath, "-p", dir];
	const check = spawnSync(bin, checkArgs, { encoding: "utf8" });
	if (check.status !== 0) {
		rmSync(dir, { recursive: true, force: true });
		throw new Error(`${kind} refused its configuration: ${check.stderr || check.stdout}\n${config}`);
	}
	const args = kind === "haproxy" ? ["-db", "-f", configPath] : ["-c", configPath, "-p", dir, "-g", "daemon off;"];
	const child: ChildProcess = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	for (const stream of [child.stdout!, child.stderr!]) {
		createInterface({ input: stream }).on("line", (line) => (output = (output + line + "\n").slice(-8000)));
	}
	let stopped: Promise<void> | undefined;
	const stop = (): Promise<void> => {
		stopped ??= new Promise<void>((resolve) => {
			if (child.exitCode !== null || child.signalCode !== null) return resolve();
			const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
			child.once("exit", () => {
				clearTimeout(timer);
				resolve();
			});
			// Both stop at once on SIGTERM (nginx: fast shutdown; haproxy -db: hard stop).
			child.kill("SIGTERM");
		}).then(() => rmSync(dir, { recursive: true, force: true }));
		return stopped;
	};
	const deadline = Date.now() + 10_000;
	for (;;) {
		if (child.exitCode !== null) {
			await stop();
			throw new Error(`${kind} exited at start: ${output}`);
		}
		if (await canConnect(port)) break;
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`${kind} did not listen on ${port}: ${output}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	return { kind, url: `http://127.0.0.1:${port}`, port, config, output: () => output, stop };
}

/**
 * Replaces each run of lines tagged `# load-balancer.ts: <tag>` by what `replacements[tag]` returns for the run's
 * first line; a tag the template lacks is an error (the deploy file and this helper drifted apart).
 */
function rewriteMarked(template: string, replacements: Record<string, (line: string) => string[]>): string {
	const seen = new Set<string>();
	const out: string[] = [];
	let previousTag: string | undefined;
	for (const line of template.split("\n")) {
		const tag = /#\s*load-balancer\.ts:\s*([a-z_]+)\s*$/.exec(line)?.[1];
		if (tag === undefined) {
			out.push(line);
			previousTag = undefined;
			continue;
		}
		const replace = replacements[tag];
		if (!replace) throw new Error(`unknown load-balancer.ts tag "${tag}"`);
		seen.add(tag);
		// A run of tagged lines (the servers) becomes one replacement; a tag used per line (temp) is replaced per line.
		if (previousTag === tag && tag === "servers") continue;
		out.push(...replace(line));
		previousTag = tag;
	}
	for (const tag of Object.keys(replacements)) {
		if (!seen.has(tag)) throw new Error(`the template has no "# load-balancer.ts: ${tag}" line`);
	}
	return out.join("\n");
}

function canConnect(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, "127.0.0.1");
		socket.once("connect", () => {
			socket.destroy();
			resolve(true);
		});
		socket.once("error", () => resolve(false));
	});
}
