import { describe, expect, it } from "@rbxts/jest-globals";
import { HttpService } from "@rbxts/services";
import { RequestBudget } from "../../../../src/server/delivery/request-budget";
import { TokenProvider, TokenResult } from "../../../../src/server/delivery/token-provider";
import { ConfigClient, ConfigClientDeps } from "../../../../src/server/experiments/config-client";
import { RecordingWarnings } from "../tracking/fakes";
import { configDocument, experiment, flag } from "./helpers";

/** An HTTP answer, or a string: RequestAsync throws it (network error). */
type Answer = RequestAsyncResponse | string;

function answer(status: number, body?: object, headers: Record<string, string> = {}): RequestAsyncResponse {
	return {
		Success: status >= 200 && status < 300,
		StatusCode: status,
		StatusMessage: "",
		Headers: headers,
		Body: body !== undefined ? HttpService.JSONEncode(body) : "",
	};
}

/** RequestAsync answering from a script, recording each request and the virtual time it was made. */
class FakeHttp {
	readonly requests = new Array<RequestAsyncRequest & { at: number }>();
	private answers = new Array<Answer>();
	queue(...answers: Answer[]): void {
		for (const a of answers) this.answers.push(a);
	}
	readonly request = (request: RequestAsyncRequest): RequestAsyncResponse => {
		this.requests.push({ ...request, at: os.clock() });
		const scripted = this.answers.shift() ?? answer(503);
		if (typeIs(scripted, "string")) error(scripted, 0);
		return scripted;
	};
	header(i: number, name: string): unknown {
		return (this.requests[i].Headers as Record<string, unknown> | undefined)?.[name];
	}
}

class FakeTokens {
	issued = 0;
	invalidated = 0;
	refuse?: TokenResult;
	get(): TokenResult {
		if (this.refuse) return this.refuse;
		if (this.issued === this.invalidated) this.issued += 1;
		return { ok: true, token: `t${this.issued}` };
	}
	invalidate(): void {
		this.invalidated = this.issued;
	}
}

const DOC = configDocument([experiment("shop")], [flag("snow")]);

function client(overrides: Partial<ConfigClientDeps> = {}) {
	const http = new FakeHttp();
	const tokens = new FakeTokens();
	const warnings = new RecordingWarnings();
	const updates = new Array<number>();
	const c = new ConfigClient({
		url: "https://vantage.test/v1/config",
		refreshSeconds: 60,
		tokens,
		warnings,
		request: http.request,
		random: () => 0.999,
		onUpdate: (config) => updates.push(config.experiments.size()),
		...overrides,
	});
	return { c, http, tokens, warnings, updates };
}

describe("ConfigClient", () => {
	it("fetches with a bearer token, then revalidates with If-None-Match and keeps the config on 304", () => {
		const { c, http, updates } = client();
		http.queue(answer(200, DOC, { etag: '"v1"' }), answer(304, undefined, { etag: '"v1"' }));
		expect(c.current()).toBeUndefined();
		expect(c.refresh().kind).toBe("updated");
		const first = c.current()!;
		expect(first.experiments.get("shop")?.config.variations.size()).toBe(2);
		expect(first.flags.get("snow")?.enabled).toBe(true);
		expect(http.requests[0]).toMatchObject({ Url: "https://vantage.test/v1/config", Method: "GET" });
		expect(http.header(0, "Authorization")).toBe("Bearer t1");
		expect(http.header(0, "If-None-Match")).toBeUndefined();

		expect(c.refresh().kind).toBe("notModified");
		expect(http.header(1, "If-None-Match")).toBe('"v1"');
		expect(c.current()).toBe(first);
		expect(updates).toEqual([1]);
	});

	it("replaces the config and its ETag when the body changes", () => {
		const { c, http } = client();
		const changed = configDocument([experiment("shop"), experiment("hud")]);
		http.queue(answer(200, DOC, { ETag: '"v1"' }), answer(200, changed, { ETag: '"v2"' }), answer(304));
		c.refresh();
		c.refresh();
		c.refresh();
		expect(c.current()!.experiments.size()).toBe(2);
		expect(http.header(2, "If-None-Match")).toBe('"v2"');
	});

	it("keeps serving the last good config through errors, unreadable bodies and refused tokens", () => {
		const { c, http, tokens, warnings } = client();
		http.queue(
			answer(200, DOC, { ETag: '"v1"' }),
			answer(503),
			"HttpError: ConnectFail",
			{ ...answer(200), Body: "<html>" },
			answer(200, { experiments: "nope" }),
			answer(304),
		);
		c.refresh();
		const good = c.current();
		const outcomes = new Array<string>();
		for (let i = 0; i < 4; i++) outcomes.push(c.refresh().kind);
		tokens.refuse = { ok: false, reason: "failed", message: "token request failed: HTTP 500" };
		outcomes.push(c.refresh().kind);
		tokens.refuse = undefined;
		outcomes.push(c.refresh().kind);
		expect(outcomes).toEqual(["failed", "failed", "failed", "failed", "failed", "notModified"]);
		expect(c.current()).toBe(good);
		expect(warnings.messages).toContain(
			"could not fetch the experiment config (HTTP 503); serving the last good config",
		);
		expect(warnings.messages).toContain(
			"could not fetch the experiment config (the config was not understood); serving the last good config",
		);
	});

	it("does not count a 304 as a config when it has none", () => {
		const { c, http } = client();
		http.queue(answer(304));
		expect(c.refresh().kind).toBe("failed");
		expect(c.current()).toBeUndefined();
	});

	it("gets a fresh token once after a 401", () => {
		const { c, http, tokens } = client();
		http.queue(answer(401), answer(200, DOC), answer(401), answer(401));
		expect(c.refresh().kind).toBe("updated");
		expect([http.header(0, "Authorization"), http.header(1, "Authorization")]).toEqual(["Bearer t1", "Bearer t2"]);
		expect(c.refresh()).toMatchObject({ kind: "failed", message: "the backend refused a fresh token (401)" });
		expect(tokens.invalidated).toBe(3);
		expect(http.requests.size()).toBe(4);
	});

	it("leaves out a malformed experiment or flag, keeping the rest", () => {
		const { c, http, warnings } = client();
		const doc = configDocument(
			[experiment("shop"), { key: "broken", status: "running" } as never, experiment("hud")],
			[flag("snow"), { key: "bad-flag", enabled: "yes" } as never],
		);
		http.queue(answer(200, doc));
		c.refresh();
		expect(c.current()!.experiments.size()).toBe(2);
		expect(c.current()!.flags.size()).toBe(1);
		expect(warnings.messages).toEqual(['experiment config: left out malformed experiment "broken", flag "bad-flag"']);
	});

	it("stays quiet while HTTP requests are disabled (delivery warns about that), retrying each period", () => {
		const { c, http, warnings } = client();
		http.queue("Http requests are not enabled. Enable via game settings");
		expect(c.refresh()).toMatchObject({ kind: "failed", disabled: true });
		expect(warnings.messages).toEqual([]);
	});

	it("stays within its request budget", () => {
		const budget = new RequestBudget(2);
		const { c, http } = client({ budget });
		http.queue(answer(200, DOC), answer(304), answer(304));
		c.refresh();
		c.refresh();
		expect(c.refresh()).toMatchObject({ kind: "failed", message: "request budget exhausted" });
		expect(http.requests.size()).toBe(2);
	});

	it("polls every refreshSeconds, sooner after a failure and no sooner than Retry-After", () => {
		const { c, http } = client();
		const start = os.clock();
		http.queue(
			answer(503),
			answer(200, DOC),
			answer(304),
			answer(503, undefined, { "Retry-After": "40" }),
			answer(304),
		);
		c.start();
		task.wait(60 * 3 + 10);
		c.stop();
		const gaps = new Array<number>();
		let last = start;
		for (const r of http.requests) {
			gaps.push(math.floor(r.at - last + 0.5));
			last = r.at;
		}
		// 503 → retry after the first backoff (5 s), then the period, then Retry-After 40 s instead of a 5 s retry.
		expect(gaps).toEqual([0, 5, 60, 60, 40]);
	}, 300_000);

	it("talks to a backend over HttpService: config-scope token, ETag, 304, then errors keep the config", () => {
		HarnessBackend.reset();
		const budget = new RequestBudget(10);
		const tokenUrl = `${HarnessBackend.url}/v1/oauth/token`;
		const warnings = new RecordingWarnings();
		const c = new ConfigClient({
			url: `${HarnessBackend.url}/v1/config`,
			refreshSeconds: 60,
			tokens: new TokenProvider(tokenUrl, "vantage_game_key", "config", budget),
			budget,
			warnings,
		});
		HarnessBackend.script("GET /v1/config", [
			{ json: DOC, headers: { ETag: '"abc"' } },
			{ status: 304, headers: { ETag: '"abc"' } },
			{ status: 500, json: { code: "internal" } },
			{ networkError: true },
		]);
		const outcomes = new Array<string>();
		for (let i = 0; i < 4; i++) outcomes.push(c.refresh().kind);
		expect(outcomes).toEqual(["updated", "notModified", "failed", "failed"]);
		expect(c.current()?.experiments.get("shop")?.mode).toEqual({ mode: "deterministic" });
		const requests = HarnessBackend.requests();
		expect(requests.map((r) => `${r.method} ${r.path} ${r.outcome}`)).toEqual([
			"POST /v1/oauth/token 200",
			"GET /v1/config 200",
			"GET /v1/config 304",
			"GET /v1/config 500",
			"GET /v1/config network",
		]);
		expect(requests[1].authorization).toBe("Bearer tok-1");
		expect(budget.used()).toBe(5);
	});
});
