import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { clientIp, compileTrustedProxies, type TrustProxy } from "./client-ip.js";

/** The env `app.request` passes to the Node adapter's getConnInfo: the socket's peer address. */
const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

async function ipOf(trust: TrustProxy, from: string | undefined, forwardedFor?: string): Promise<string> {
	const app = new Hono();
	app.get("/", (c) => c.text(clientIp(c, trust)));
	const headers: Record<string, string> = forwardedFor === undefined ? {} : { "X-Forwarded-For": forwardedFor };
	const res = await app.request("/", { headers }, from === undefined ? undefined : peer(from));
	return res.text();
}

describe("clientIp", () => {
	const trust = compileTrustedProxies(["10.0.0.0/8", "fd00::/8", "127.0.0.1"]);

	it.each([
		[
			"no proxy trusted: the peer, whatever the header says",
			compileTrustedProxies([]),
			"10.0.0.2",
			"1.2.3.4",
			"10.0.0.2",
		],
		["an untrusted peer's forged header is ignored", trust, "203.0.113.9", "1.2.3.4", "203.0.113.9"],
		["a trusted proxy names the client", trust, "10.0.0.2", "198.51.100.7", "198.51.100.7"],
		["walks from the right past trusted hops", trust, "10.0.0.2", "198.51.100.7, 10.9.9.9, 127.0.0.1", "198.51.100.7"],
		[
			"stops at the first untrusted hop: entries left of it are the client's own",
			trust,
			"10.0.0.2",
			"6.6.6.6, 198.51.100.7",
			"198.51.100.7",
		],
		["IPv6 CIDR", trust, "fd00::1", "2001:db8::5", "2001:db8::5"],
		[
			"IPv4-mapped peer matches an IPv4 range and is answered plain",
			trust,
			"::ffff:10.0.0.2",
			"198.51.100.7",
			"198.51.100.7",
		],
		["an IPv4-mapped untrusted peer is answered plain", trust, "::ffff:203.0.113.9", undefined, "203.0.113.9"],
		["a trusted proxy without the header is the client itself", trust, "10.0.0.2", undefined, "10.0.0.2"],
	])("%s", async (_name, trustFn, from, forwardedFor, expected) => {
		expect(await ipOf(trustFn, from, forwardedFor)).toBe(expected);
	});

	it("without a socket (app.request in tests) every request shares 'unknown'", async () => {
		expect(await ipOf(trust, undefined, "1.2.3.4")).toBe("unknown");
	});

	it("refuses a bad VANTAGE_TRUSTED_PROXIES entry at configuration, naming the variable", () => {
		expect(() => loadConfig({ VANTAGE_TRUSTED_PROXIES: "10.0.0.0/33" })).toThrow(/VANTAGE_TRUSTED_PROXIES/);
		expect(() => loadConfig({ VANTAGE_TRUSTED_PROXIES: "proxy.example.com" })).toThrow(/VANTAGE_TRUSTED_PROXIES/);
		expect(loadConfig({ VANTAGE_TRUSTED_PROXIES: "10.0.0.0/8, fd00::/8, ::1" }).trustedProxies).toEqual([
			"10.0.0.0/8",
			"fd00::/8",
			"::1",
		]);
	});
});

describe("the per-IP limit behind proxies", () => {
	let t: TestApp | undefined;
	afterEach(() => t?.close());

	/** POSTs to the token endpoint (per-IP limited) from `from` with a forged or forwarded header. */
	const tokenRequest = (app: TestApp, from: string, forwardedFor: string) =>
		app.app.request(
			"/v1/oauth/token",
			{
				method: "POST",
				headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": forwardedFor },
				body: "grant_type=client_credentials",
			},
			peer(from),
		);

	it("a forged X-Forwarded-For from an untrusted peer does not change its rate-limit key", async () => {
		t = await createTestApp({ env: { VANTAGE_TOKEN_BURST: "2", VANTAGE_TRUSTED_PROXIES: "10.0.0.2" } });
		const statuses: number[] = [];
		for (let i = 0; i < 4; i++) statuses.push((await tokenRequest(t, "203.0.113.9", `198.51.100.${i}`)).status);
		// Two within the burst (401: no credentials), then the bucket of 203.0.113.9 is empty whatever the header says.
		expect(statuses).toEqual([401, 401, 429, 429]);
	});

	it("X-Forwarded-For from a trusted proxy gives each client its own bucket", async () => {
		t = await createTestApp({ env: { VANTAGE_TOKEN_BURST: "2", VANTAGE_TRUSTED_PROXIES: "10.0.0.0/8" } });
		const statuses: number[] = [];
		for (let i = 0; i < 4; i++) statuses.push((await tokenRequest(t, "10.0.0.2", `198.51.100.${i}`)).status);
		expect(statuses).toEqual([401, 401, 401, 401]);
		// The same client through the proxy still runs out.
		for (let i = 0; i < 2; i++) await tokenRequest(t, "10.0.0.2", "198.51.100.0");
		expect((await tokenRequest(t, "10.0.0.2", "198.51.100.0")).status).toBe(429);
	});
});
