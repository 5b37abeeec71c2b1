// HttpService emulation against a real local HTTP server (node:http on an ephemeral port).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { httpLog, httpPeakPerMinute, httpRequestsWithin } from "./services/http.js";
import { RobloxVm } from "./vm.js";

interface Seen {
	method: string;
	url: string;
	headers: IncomingMessage["headers"];
	body: string;
	rawBytes: number;
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
	server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const raw = Buffer.concat(chunks);
			const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
			seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, rawBytes: raw.length });
			const url = new URL(req.url ?? "/", "http://x");
			if (url.pathname === "/missing") {
				res.writeHead(404, { "Content-Type": "text/plain" }).end("nope");
			} else if (url.pathname === "/teapot") {
				res.writeHead(418, "I'm a teapot", { "X-Reason": "short and stout" }).end("tea");
			} else if (url.pathname === "/slow") {
				setTimeout(() => res.writeHead(200).end("late"), 1500);
			} else {
				res.writeHead(200, { "Content-Type": "application/json", "X-Custom-Header": "Yes" });
				res.end(JSON.stringify({ method: req.method, path: req.url, got: body }));
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	server.closeAllConnections();
	await new Promise((resolve) => server.close(resolve));
});

const vms: RobloxVm[] = [];
async function makeVm(options: Partial<Parameters<typeof RobloxVm.create>[0]> = {}): Promise<RobloxVm> {
	const vm = await RobloxVm.create({ role: "server", ...options });
	vms.push(vm);
	return vm;
}
afterEach(() => {
	for (const vm of vms.splice(0)) vm.destroy();
	seen.length = 0;
});

/** Runs Luau with `Http` (the service) and `BASE` (the test server's URL) defined. */
function lua(source: string): string {
	return `local Http = game:GetService("HttpService")\nlocal BASE = "${base}"\n${source}`;
}

async function errorOf(vm: RobloxVm, source: string): Promise<string> {
	const [ok, err] = await vm.run<[boolean, string]>(lua(`return pcall(function()\n${source}\nend)`));
	expect(ok).toBe(false);
	return err;
}

describe("RequestAsync", () => {
	it("sends a GET with the script's headers and returns the response dictionary", async () => {
		const vm = await makeVm({ placeId: 1234 });
		const [res] = await vm.run<[Record<string, unknown>]>(
			lua(`return Http:RequestAsync({Url = BASE .. "/hello?x=1", Headers = {["X-Game"] = "demo"}})`),
		);
		expect(res.Success).toBe(true);
		expect(res.StatusCode).toBe(200);
		expect(res.StatusMessage).toBe("OK");
		expect((res.Headers as Record<string, string>)["x-custom-header"]).toBe("Yes");
		expect(JSON.parse(res.Body as string)).toEqual({ method: "GET", path: "/hello?x=1", got: "" });
		expect(seen).toHaveLength(1);
		expect(seen[0].headers["x-game"]).toBe("demo");
		// Set by the engine, not by scripts.
		expect(seen[0].headers["user-agent"]).toBe("Roblox/Linux");
		expect(seen[0].headers["roblox-id"]).toBe("1234");
	});

	it("POSTs a gzip body the server can decode, and logs the sizes", async () => {
		const vm = await makeVm();
		const [res] = await vm.run<[Record<string, unknown>]>(
			lua(`
			local body = Http:JSONEncode({events = table.create(200, "session_start")})
			return Http:RequestAsync({
				Url = BASE .. "/batches", Method = "POST", Body = body,
				Headers = {["Content-Type"] = "application/json"}, Compress = Enum.HttpCompression.Gzip,
			})`),
		);
		expect(res.StatusCode).toBe(200);
		expect(seen[0].headers["content-encoding"]).toBe("gzip");
		expect(seen[0].headers["content-type"]).toBe("application/json");
		expect(JSON.parse(seen[0].body).events).toHaveLength(200);
		expect(seen[0].rawBytes).toBeLessThan(seen[0].body.length / 5);
		const [entry] = httpLog(vm);
		expect(entry).toMatchObject({ method: "POST", compressed: true, bodyBytes: seen[0].body.length, status: 200 });
		expect(entry.sentBytes).toBe(seen[0].rawBytes);
	});

	it("does not add a Content-Type the script did not set", async () => {
		const vm = await makeVm();
		await vm.run(lua(`return Http:RequestAsync({Url = BASE, Method = "PUT", Body = "plain"})`));
		expect(seen[0].headers["content-type"]).toBeUndefined();
		expect(seen[0].body).toBe("plain");
	});

	it("returns HTTP error statuses instead of throwing", async () => {
		const vm = await makeVm();
		const [missing, teapot] = await vm.run<Record<string, unknown>[]>(
			lua(
				`return Http:RequestAsync({Url = BASE .. "/missing"}), Http:RequestAsync({Url = BASE .. "/teapot", Method = "DELETE"})`,
			),
		);
		expect(missing).toMatchObject({ Success: false, StatusCode: 404, StatusMessage: "Not Found", Body: "nope" });
		expect(teapot).toMatchObject({ Success: false, StatusCode: 418, StatusMessage: "I'm a teapot", Body: "tea" });
		expect((teapot.Headers as Record<string, string>)["x-reason"]).toBe("short and stout");
	});

	it("throws HttpError: ConnectFail when nothing listens", async () => {
		const closed = createServer();
		await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
		const port = (closed.address() as AddressInfo).port;
		await new Promise((resolve) => closed.close(resolve));
		const vm = await makeVm();
		const err = await errorOf(vm, `Http:RequestAsync({Url = "http://127.0.0.1:${port}/"})`);
		expect(err).toBe("HttpError: ConnectFail");
		expect(httpLog(vm)[0].error).toBe("HttpError: ConnectFail");
	});

	it("throws HttpError: Timedout after the configured real-time timeout", async () => {
		const vm = await makeVm({ config: { httpTimeout: 0.2 } });
		const started = Date.now();
		const err = await errorOf(vm, `Http:RequestAsync({Url = BASE .. "/slow"})`);
		expect(err).toBe("HttpError: Timedout");
		expect(Date.now() - started).toBeLessThan(1400);
	});

	it("rejects a URL that is not http(s)", async () => {
		const vm = await makeVm();
		expect(await errorOf(vm, `Http:RequestAsync({Url = "ftp://example.com/x"})`)).toBe("HttpError: InvalidUrl");
		expect(await errorOf(vm, `Http:RequestAsync({Url = "not a url"})`)).toBe("HttpError: InvalidUrl");
	});

	it("validates the options table like Roblox, without spending budget", async () => {
		const vm = await makeVm();
		expect(await errorOf(vm, `Http:RequestAsync({Method = "GET"})`)).toMatch(/Url/);
		expect(await errorOf(vm, `Http:RequestAsync({Url = 5})`)).toMatch(/Url must be a string/);
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Method = "FETCH"})`)).toMatch(/Invalid Method/);
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Body = "x"})`)).toMatch(/Body cannot be sent with GET/);
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Method = "HEAD", Body = "x"})`)).toMatch(/HEAD/);
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Method = "POST", Body = {}})`)).toMatch(
			/Body must be a string/,
		);
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Headers = {["User-Agent"] = "me"}})`)).toMatch(
			/Header "User-Agent" is not allowed/,
		);
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Headers = {["Roblox-Id"] = "1"}})`)).toMatch(
			/not allowed/,
		);
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Headers = {["X-N"] = 5}})`)).toMatch(/must be a string/);
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Method = "POST", Body = "x", Compress = true})`)).toMatch(
			/Compress/,
		);
		expect(await vm.callH("httpRequestsInWindow")).toBe(0);
		expect(seen).toHaveLength(0);
	});

	it("accepts lower-case methods and HEAD without a body", async () => {
		const vm = await makeVm();
		const [res] = await vm.run<[Record<string, unknown>]>(
			lua(`return Http:RequestAsync({Url = BASE, Method = "head"})`),
		);
		expect(res).toMatchObject({ StatusCode: 200, Body: "" });
		expect(seen[0].method).toBe("HEAD");
	});

	it("errors outside a yieldable thread", async () => {
		const vm = await makeVm();
		const err = await errorOf(vm, `string.gsub("a", "a", function() Http:GetAsync(BASE) end)`);
		expect(err).toMatch(/attempt to yield across metamethod\/C-call boundary/);
		expect(seen).toHaveLength(0);
	});
});

describe("GetAsync / PostAsync", () => {
	it("returns the body, and errors on non-2xx statuses", async () => {
		const vm = await makeVm();
		const [body, post] = await vm.run<[string, string]>(
			lua(
				`return Http:GetAsync(BASE .. "/a"), Http:PostAsync(BASE .. "/b", "payload", Enum.HttpContentType.TextPlain, true)`,
			),
		);
		expect(JSON.parse(body).path).toBe("/a");
		expect(JSON.parse(post)).toMatchObject({ method: "POST", got: "payload" });
		expect(seen[1].headers["content-type"]).toBe("text/plain");
		expect(seen[1].headers["content-encoding"]).toBe("gzip");
		expect(await errorOf(vm, `Http:GetAsync(BASE .. "/missing")`)).toBe("HTTP 404 (Not Found)");
		expect(await errorOf(vm, `Http:PostAsync(BASE .. "/teapot", "{}")`)).toBe("HTTP 418 (I'm a teapot)");
		expect(seen[3].headers["content-type"]).toBe("application/json");
	});
});

describe("availability", () => {
	it("refuses requests when HttpEnabled is false, but JSON still works", async () => {
		const vm = await makeVm({ config: { httpEnabled: false } });
		expect(await errorOf(vm, `Http:GetAsync(BASE)`)).toBe("Http requests are not enabled. Enable via game settings");
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE})`)).toBe(
			"Http requests are not enabled. Enable via game settings",
		);
		expect(await errorOf(vm, `Http:PostAsync(BASE, "x")`)).toBe(
			"Http requests are not enabled. Enable via game settings",
		);
		const [enabled, json] = await vm.run(lua(`return Http.HttpEnabled, Http:JSONEncode({1, 2})`));
		expect([enabled, json]).toEqual([false, "[1,2]"]);
		expect(await errorOf(vm, `Http.HttpEnabled = true`)).toMatch(/cannot write 'HttpEnabled'/);
		await vm.callH("setHttpEnabled", true);
		const [code] = await vm.run(lua(`return Http:RequestAsync({Url = BASE}).StatusCode`));
		expect(code).toBe(200);
		// Tests can tell "no request was even tried" from "tried and refused": attempts count both.
		expect(await vm.callH("httpAttempts")).toBe(4);
		expect(await vm.callH("httpRequestsInWindow")).toBe(1);
	});

	it("refuses requests on a client", async () => {
		const vm = await makeVm({ role: "client" });
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE})`)).toBe(
			"Http requests can only be executed by game server",
		);
		expect(await errorOf(vm, `Http:GetAsync(BASE)`)).toBe("Http requests can only be executed by game server");
		expect(await errorOf(vm, `Http:GetSecret("anything")`)).toBe("Can't find secret with given key");
		expect(seen).toHaveLength(0);
	});
});

describe("500 requests per minute per server", () => {
	it("fails the 501st request within 60 virtual seconds and recovers when the window slides", async () => {
		const vm = await makeVm();
		const [count] = await vm.run<[number]>(
			lua(`
			for i = 1, 500 do
				Http:RequestAsync({Url = BASE .. "/n" .. i})
			end
			return 500`),
		);
		expect(count).toBe(500);
		expect(await errorOf(vm, `Http:GetAsync(BASE)`)).toBe("Number of requests exceeded limit");
		expect(await errorOf(vm, `Http:RequestAsync({Url = BASE, Method = "POST", Body = "x"})`)).toBe(
			"Number of requests exceeded limit",
		);
		expect(seen).toHaveLength(500);
		await vm.advance(58);
		expect(await errorOf(vm, `Http:GetAsync(BASE)`)).toBe("Number of requests exceeded limit");
		await vm.advance(2);
		const [ok] = await vm.run(lua(`return Http:RequestAsync({Url = BASE}).Success`));
		expect(ok).toBe(true);
		expect(seen).toHaveLength(501);
		expect(await vm.callH("httpRequestsInWindow")).toBe(1);
		expect(httpLog(vm)).toHaveLength(501);
		expect(await httpRequestsWithin(vm, 60)).toHaveLength(1);
	}, 30_000);

	it("counts a spread-out load over the sliding window, not per calendar minute", async () => {
		const vm = await makeVm({ config: { httpRequestLimit: 10 } });
		// 10 requests at t = 0, 5, ..., 45: the 11th at t = 50 fails, at t = 60 (the first one left) it works.
		await vm.run(lua(`for i = 1, 10 do Http:GetAsync(BASE) task.wait(5) end`), { maxSeconds: 120 });
		expect(await errorOf(vm, `Http:GetAsync(BASE)`)).toBe("Number of requests exceeded limit");
		await vm.advance(10.1);
		await vm.run(lua(`return Http:GetAsync(BASE)`));
		expect(seen).toHaveLength(11);
		expect(httpPeakPerMinute(vm)).toBe(10);
		expect(httpPeakPerMinute(vm, 30)).toBe(6);
	});
});

describe("secrets", () => {
	const VALUE = "sk_live_0123456789abcdef";

	it("is a Secret that never reveals its value in Luau", async () => {
		const vm = await makeVm({ config: { secrets: { gameKey: VALUE } } });
		const values = await vm.run<unknown[]>(
			lua(`
			local s = Http:GetSecret("gameKey")
			local out = {typeof(s), tostring(s), tostring(s:AddPrefix("Bearer ")), tostring(s:AddSuffix("!"):AddPrefix("<"))}
			table.insert(out, select(2, pcall(function() return "x" .. s end)))
			table.insert(out, select(2, pcall(function() return s .. "x" end)))
			table.insert(out, select(2, pcall(function() return Http:JSONEncode({key = s}) end)))
			table.insert(out, select(2, pcall(function() return s.Value end)))
			table.insert(out, select(2, pcall(function() return string.format("%s|%q", tostring(s), tostring(s)) end)))
			table.insert(out, select(2, pcall(function() return getmetatable(s) end)))
			table.insert(out, select(2, pcall(function() return Http:RequestAsync({Url = BASE, Method = "POST", Body = s}) end)))
			print(s)
			warn(s, s:AddPrefix("k="))
			return out, s`),
		);
		const [out, secret] = values as [string[], unknown];
		expect(out.slice(0, 4)).toEqual(["Secret", "Secret(gameKey)", "Bearer Secret(gameKey)", "<Secret(gameKey)!"]);
		expect(out[4]).toMatch(/attempt to concatenate string with Secret/);
		expect(out[5]).toMatch(/attempt to concatenate Secret with string/);
		expect(out[6]).toMatch(/Can't convert to JSON/);
		expect(out[7]).toMatch(/not a valid member of Secret/);
		expect(out[9]).toBe("The metatable is locked");
		expect(out[10]).toMatch(/only be used in the Url or a header/);
		const everything = JSON.stringify([values, vm.output]);
		expect(everything).not.toContain(VALUE);
		expect(everything).not.toContain("0123456789");
		expect(secret).toEqual({ $Secret: "Secret(gameKey)" });
		expect(seen).toHaveLength(0);
	});

	it("is substituted when used as a header value or the Url", async () => {
		const vm = await makeVm({ config: { secrets: { gameKey: VALUE, endpoint: base } } });
		await vm.run(
			lua(`
			local key = Http:GetSecret("gameKey")
			Http:RequestAsync({Url = BASE .. "/token", Method = "POST", Body = "{}", Headers = {Authorization = key:AddPrefix("Bearer ")}})
			local url = Http:GetSecret("endpoint"):AddSuffix("/config?key=k")
			Http:RequestAsync({Url = url})
			Http:GetAsync(key:AddPrefix(BASE .. "/q?token="), false, {["X-Key"] = key})
			Http:PostAsync(BASE .. "/p", "{}", Enum.HttpContentType.ApplicationJson, false, {["X-Key"] = key:AddSuffix("-2")})`),
		);
		expect(seen.map((s) => s.url)).toEqual(["/token", "/config?key=k", `/q?token=${VALUE}`, "/p"]);
		expect(seen[0].headers.authorization).toBe(`Bearer ${VALUE}`);
		expect(seen[0].body).toBe("{}");
		expect(seen[2].headers["x-key"]).toBe(VALUE);
		expect(seen[3].headers["x-key"]).toBe(`${VALUE}-2`);
		// The log shows where secrets went, never their values.
		const log = httpLog(vm);
		expect(log[0].headers.Authorization).toBe("Bearer Secret(gameKey)");
		expect(log[1].url).toBe("Secret(endpoint)/config?key=k");
		expect(JSON.stringify(log)).not.toContain(VALUE);
	});

	it("errors for an unknown name", async () => {
		const vm = await makeVm({ config: { secrets: { gameKey: VALUE } } });
		expect(await errorOf(vm, `Http:GetSecret("other")`)).toBe("Can't find secret with given key");
		const noSecrets = await makeVm();
		expect(await errorOf(noSecrets, `Http:GetSecret("gameKey")`)).toBe("Can't find secret with given key");
	});
});

describe("JSON, GUIDs and URL encoding", () => {
	it("encodes arrays and dictionaries as documented", async () => {
		const vm = await makeVm();
		const [arr, dict, empty, nested, mixed, nan] = await vm.run<string[]>(
			lua(`return Http:JSONEncode({1, "two", true}), Http:JSONEncode({a = 1}), Http:JSONEncode({}),
				Http:JSONEncode({list = {{x = 1.5}}, s = "q\\"\\n"}), Http:JSONEncode({1, 2, x = 3}), Http:JSONEncode({n = 0/0})`),
		);
		expect(arr).toBe('[1,"two",true]');
		expect(dict).toBe('{"a":1}');
		expect(empty).toBe("[]");
		expect(JSON.parse(nested)).toEqual({ list: [{ x: 1.5 }], s: 'q"\n' });
		// "If a table contains both, an array takes priority (string keys are ignored)"; NaN and inf are allowed.
		expect(mixed).toBe("[1,2]");
		expect(nan).toBe('{"n":nan}');
		expect(await errorOf(vm, `Http:JSONEncode({f = print})`)).toMatch(/^Can't convert to JSON/);
		expect(await errorOf(vm, `Http:JSONEncode({[1] = 1, [3] = 3})`)).toMatch(/^Can't convert to JSON/);
		expect(await errorOf(vm, `local t = {} t.self = t Http:JSONEncode(t)`)).toMatch(/^Can't convert to JSON/);
		expect(await errorOf(vm, `Http:JSONEncode({key = Instance.new("Folder")})`)).toMatch(/^Can't convert to JSON/);
	});

	it("rejects mixed tables and NaN in strict JSON mode", async () => {
		const vm = await makeVm({ config: { jsonStrict: true } });
		expect(await errorOf(vm, `Http:JSONEncode({1, 2, x = 3})`)).toMatch(/^Can't convert to JSON/);
		expect(await errorOf(vm, `Http:JSONEncode({n = 0/0})`)).toMatch(/^Can't convert to JSON/);
		expect(await errorOf(vm, `Http:JSONEncode(math.huge)`)).toMatch(/^Can't convert to JSON/);
	});

	it("decodes JSON into Luau values and rejects invalid input", async () => {
		const vm = await makeVm();
		const [value, len, nullIsNil] = await vm.run(
			lua(`local v = Http:JSONDecode('{"a": [1, 2, {"b": null}], "s": "\\\\u00e9"}') return v, #v.a, v.a[3].b == nil`),
		);
		expect(value).toEqual({ a: [1, 2, []], s: "é" });
		expect(len).toBe(3);
		expect(nullIsNil).toBe(true);
		expect(await errorOf(vm, `Http:JSONDecode("{bad")`)).toMatch(/^Can't parse JSON/);
		expect(await errorOf(vm, `Http:JSONDecode("[1,]")`)).toMatch(/^Can't parse JSON/);
		expect(await errorOf(vm, `Http:JSONDecode("")`)).toMatch(/^Can't parse JSON/);
	});

	it("generates upper-case version 4 UUIDs, in braces by default", async () => {
		const vm = await makeVm({ role: "client" });
		const [a, b, c] = await vm.run<string[]>(
			lua(`return Http:GenerateGUID(), Http:GenerateGUID(true), Http:GenerateGUID(false)`),
		);
		const v4 = "[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}";
		expect(a).toMatch(new RegExp(`^\\{${v4}\\}$`));
		expect(b).toMatch(new RegExp(`^\\{${v4}\\}$`));
		expect(c).toMatch(new RegExp(`^${v4}$`));
		expect(new Set([a, b, `{${c}}`]).size).toBe(3);
	});

	it("URL-encodes like the documented example", async () => {
		const vm = await makeVm();
		const [a, b] = await vm.run<string[]>(
			lua(`return Http:UrlEncode("https://www.roblox.com/discover#/"), Http:UrlEncode("a b&é")`),
		);
		expect(a).toBe("https%3A%2F%2Fwww%2Eroblox%2Ecom%2Fdiscover%23%2F");
		expect(b).toBe("a%20b%26%C3%A9");
	});
});
