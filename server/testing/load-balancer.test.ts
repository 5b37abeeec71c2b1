// The deploy/ load balancer configs, run for real (Debian's haproxy and nginx) in front of two small HTTP servers that
// stand in for instances: round robin, X-Forwarded-For appended, the body limit of VANTAGE_MAX_BODY_BYTES, and
// (HAProxy) an instance whose /readyz fails taken out of rotation.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBalancerRequired, startLoadBalancer, type LoadBalancerKind } from "./load-balancer.js";

interface Backend {
	name: string;
	port: number;
	ready: boolean;
	seen: { path: string; forwardedFor: string | undefined; bytes: number }[];
	server: Server;
}

async function startBackend(name: string): Promise<Backend> {
	const backend: Backend = { name, port: 0, ready: true, seen: [], server: createServer() };
	backend.server.on("request", (req: IncomingMessage, res) => {
		let bytes = 0;
		req.on("data", (chunk: Buffer) => (bytes += chunk.length));
		req.on("end", () => {
			if (req.url === "/readyz") {
				res.writeHead(backend.ready ? 200 : 503).end();
				return;
			}
			const forwardedFor = req.headers["x-forwarded-for"];
			backend.seen.push({ path: req.url ?? "", forwardedFor: forwardedFor as string | undefined, bytes });
			res.writeHead(200, { "content-type": "text/plain" }).end(name);
		});
	});
	await new Promise<void>((resolve) => backend.server.listen(0, "127.0.0.1", resolve));
	backend.port = (backend.server.address() as AddressInfo).port;
	return backend;
}

for (const kind of ["haproxy", "nginx"] as LoadBalancerKind[]) {
	describe.skipIf(!loadBalancerRequired(kind))(`deploy/${kind} config`, () => {
		let backends: Backend[];
		let lb: Awaited<ReturnType<typeof startLoadBalancer>>;

		beforeAll(async () => {
			backends = [await startBackend("one"), await startBackend("two")];
			lb = await startLoadBalancer({ kind, backends: backends.map((b) => b.port) });
			// HAProxy marks servers up after its first checks.
			await new Promise((resolve) => setTimeout(resolve, kind === "haproxy" ? 1_500 : 0));
		}, 30_000);

		afterAll(async () => {
			await lb?.stop();
			for (const b of backends ?? []) await new Promise((resolve) => b.server.close(resolve));
		});

		it("balances round robin and appends the client's address to X-Forwarded-For", async () => {
			const answers: string[] = [];
			for (let i = 0; i < 6; i++) {
				const res = await fetch(`${lb.url}/v1/x`, { headers: { "X-Forwarded-For": "203.0.113.9" } });
				answers.push(await res.text());
			}
			const ones = answers.filter((a) => a === "one").length;
			// HAProxy alternates; each nginx worker keeps its own round robin, so the split is only roughly even.
			if (kind === "haproxy") expect(ones).toBe(3);
			else expect(ones).toBeGreaterThanOrEqual(1);
			expect(answers.filter((a) => a === "two")).toHaveLength(6 - ones);
			expect(ones).toBeLessThan(6);
			const seen = backends.flatMap((b) => b.seen);
			// What the client claimed stays leftmost; the proxy appends the peer it saw, which the backend believes only
			// when VANTAGE_TRUSTED_PROXIES names the proxy.
			for (const s of seen) expect(s.forwardedFor?.replace(/\s/g, "")).toBe("203.0.113.9,127.0.0.1");
		});

		it("passes a 1 MiB body and refuses a larger one with 413", async () => {
			const limit = 1024 * 1024;
			const ok = await fetch(`${lb.url}/v1/batches`, { method: "POST", body: new Uint8Array(limit) });
			expect(ok.status).toBe(200);
			expect(backends.flatMap((b) => b.seen).some((s) => s.bytes === limit)).toBe(true);
			const tooBig = await fetch(`${lb.url}/v1/batches`, { method: "POST", body: new Uint8Array(limit + 1) });
			expect(tooBig.status).toBe(413);
		});

		it.runIf(kind === "haproxy")(
			"takes an instance whose /readyz fails out of rotation",
			async () => {
				backends[1]!.ready = false;
				// Two failed checks a second apart.
				await new Promise((resolve) => setTimeout(resolve, 3_000));
				const answers = await Promise.all(
					Array.from({ length: 6 }, async () => (await fetch(`${lb.url}/v1/x`)).text()),
				);
				expect(answers).toEqual(Array(6).fill("one"));
				backends[1]!.ready = true;
			},
			15_000,
		);
	});
}
