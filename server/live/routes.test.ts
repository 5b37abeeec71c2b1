import { Hono, type MiddlewareHandler } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { createAdminUser } from "../auth/provisioning.js";
import { DashboardSessions, SESSION_COOKIE } from "../dashboard/sessions.js";
import { ForbiddenError, ProblemError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { jsonRequest, makeBatch, makeEvent, makeEvents } from "../testing/fixtures.js";
import { TEST_HASH_OPTIONS, TEST_PASSWORD, createTestApp, type TestApp } from "../testing/test-app.js";
import { LiveEventHub } from "./event-hub.js";
import { liveRoutes } from "./routes.js";

interface SseMessage {
	/** The `event` field; empty for a comment-only block. */
	event: string;
	data: string;
	comments: string[];
}

/** Reads server-sent-events messages off a response body, one block at a time. */
function sse(res: Response) {
	if (!res.body) throw new Error("no body");
	const reader = res.body.getReader();
	const decoder = new TextDecoder();
	let buffer = "";
	return {
		async next(timeoutMs = 3000): Promise<SseMessage> {
			for (;;) {
				const end = buffer.indexOf("\n\n");
				if (end >= 0) {
					const block = buffer.slice(0, end);
					buffer = buffer.slice(end + 2);
					const message: SseMessage = { event: "", data: "", comments: [] };
					const data: string[] = [];
					for (const line of block.split("\n")) {
						if (line.startsWith(":")) message.comments.push(line.slice(1).trim());
						else if (line.startsWith("event: ")) message.event = line.slice(7);
						else if (line.startsWith("data: ")) data.push(line.slice(6));
					}
					message.data = data.join("\n");
					return message;
				}
				let timer: NodeJS.Timeout | undefined;
				const chunk = await Promise.race([
					reader.read(),
					new Promise<never>((_, reject) => {
						timer = setTimeout(() => reject(new Error(`no SSE message within ${timeoutMs} ms`)), timeoutMs);
					}),
				]).finally(() => clearTimeout(timer));
				if (chunk.done) throw new Error("the stream ended");
				buffer += decoder.decode(chunk.value, { stream: true });
			}
		},
		/** The client going away. */
		cancel: () => reader.cancel(),
		/** Resolves once the server has ended the body. */
		async ended(timeoutMs = 3000): Promise<string> {
			const deadline = Date.now() + timeoutMs;
			let rest = buffer;
			for (;;) {
				if (Date.now() > deadline) throw new Error("the stream did not end");
				const chunk = await reader.read();
				if (chunk.done) return rest;
				rest += decoder.decode(chunk.value, { stream: true });
			}
		},
	};
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

describe("GET /v1/games/{gameId}/events/live", () => {
	let t: TestApp;
	let hub: LiveEventHub;
	afterEach(() => t.close());

	async function setup(options: ConstructorParameters<typeof LiveEventHub>[0] = {}) {
		hub = new LiveEventHub(options);
		t = await createTestApp({ liveEvents: hub });
		const gameAuth = await t.gameAuth("g1");
		const post = async (batch: Record<string, unknown>) => {
			const res = await t.app.request("/v1/batches", jsonRequest(batch, { headers: { Authorization: gameAuth } }));
			expect(res.status).toBe(200);
		};
		return { post, analyst: await t.adminAuth("analyst") };
	}

	const open = (auth: string | undefined, query = "", headers: Record<string, string> = {}) =>
		Promise.resolve(
			t.app.request(`/v1/games/g1/events/live${query}`, {
				headers: { ...(auth ? { Authorization: auth } : {}), ...headers },
			}),
		);

	it("sends the events of a batch stored after it opened, and none from before", async () => {
		const { post, analyst } = await setup();
		await post(makeBatch(makeEvents(2, "old"), { batchId: "before" }));
		const res = await open(analyst);
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("text/event-stream");
		expect(res.headers.get("cache-control")).toBe("no-cache");
		const stream = sse(res);
		const ready = await stream.next();
		expect(ready.event).toBe("ready");
		expect(JSON.parse(ready.data)).toEqual({ gameId: "g1", filter: {} });

		await post(makeBatch(makeEvents(3, "new"), { batchId: "after" }));
		const message = await stream.next();
		expect(message.event).toBe("events");
		const body = JSON.parse(message.data) as { events: Record<string, unknown>[]; dropped: number };
		expect(body.dropped).toBe(0);
		expect(body.events.map((e) => e.id)).toEqual(["new-0001", "new-0002", "new-0003"]);
		expect(body.events[0]).toMatchObject({ gameId: "g1", batchId: "after", userId: 42, type: "custom" });
		await stream.cancel();
	});

	it("sends a replayed batch once, and only the events its filter asks for", async () => {
		const { post, analyst } = await setup();
		const stream = sse(await open(analyst, "?type=purchase"));
		expect(JSON.parse((await stream.next()).data)).toEqual({ gameId: "g1", filter: { type: "purchase" } });
		const mixed = [
			makeEvent({ id: "p1", type: "purchase", name: "developer_product", props: { robux: 49 } }),
			makeEvent({ id: "c1" }),
		];
		await post(makeBatch(mixed, { batchId: "b-1" }));
		await post(makeBatch(mixed, { batchId: "b-1" }));
		await post(makeBatch([makeEvent({ id: "p2", type: "purchase", name: "developer_product" })], { batchId: "b-2" }));
		const ids: string[] = [];
		while (ids.length < 2) {
			const message = await stream.next();
			ids.push(...(JSON.parse(message.data) as { events: { id: string }[] }).events.map((e) => e.id));
		}
		expect(ids).toEqual(["p1", "p2"]);
		await stream.cancel();
	});

	it("unsubscribes when the client disconnects", async () => {
		const { post, analyst } = await setup();
		const stream = sse(await open(analyst));
		await stream.next();
		expect(hub.streamCount).toBe(1);
		await stream.cancel();
		await until(() => hub.streamCount === 0);
		// Ingest goes on as before with nobody watching.
		await post(makeBatch(makeEvents(1), { batchId: "later" }));
	});

	it("is refused without credentials, to a viewer, with a bad query and for an unknown game", async () => {
		await setup();
		const none = await open(undefined);
		expect(none.status).toBe(401);
		expect(none.headers.get("content-type")).toBe("application/problem+json");
		expect((await open(await t.adminAuth("viewer"))).status).toBe(403);
		// A game's own access token is not an admin token.
		expect((await open(await t.gameAuth("g1"))).status).toBe(401);
		const owner = await t.adminAuth("owner");
		expect((await open(owner, "?type=nope")).status).toBe(400);
		expect((await open(owner, "?userId=1")).status).toBe(400);
		expect((await open(owner, "?name=a&name=b")).status).toBe(400);
		const unknown = await t.app.request("/v1/games/nope/events/live", { headers: { Authorization: owner } });
		expect(unknown.status).toBe(404);
		expect(hub.streamCount).toBe(0);
	});

	it("accepts the dashboard's session cookie (EventSource sends no headers)", async () => {
		const { post } = await setup();
		const user = await createAdminUser(t.store, {
			email: "live@example.com",
			password: TEST_PASSWORD,
			grants: [{ gameId: "g1", role: "analyst" }],
			now: t.clock.now,
			hashOptions: TEST_HASH_OPTIONS,
		});
		const sessions = new DashboardSessions({
			store: t.store,
			clock: () => t.clock.now,
			idleTimeoutMs: 60_000,
			absoluteTimeoutMs: 3_600_000,
		});
		const { secret } = await sessions.create(user);
		const stream = sse(await open(undefined, "", { Cookie: `${SESSION_COOKIE}=${secret}` }));
		expect((await stream.next()).event).toBe("ready");
		await post(makeBatch(makeEvents(1), { batchId: "b-1" }));
		expect((await stream.next()).event).toBe("events");
		await stream.cancel();
	});

	it("caps the streams a user holds: the next one is 429 with Retry-After", async () => {
		const { analyst } = await setup({ maxStreamsPerUser: 1 });
		const first = sse(await open(analyst));
		await first.next();
		const refused = await open(analyst);
		expect(refused.status).toBe(429);
		expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
		await first.cancel();
		await until(() => hub.streamCount === 0);
		const again = sse(await open(analyst));
		expect((await again.next()).event).toBe("ready");
		await again.cancel();
	});

	it("ends every stream with an end message when the server closes the hub", async () => {
		const { analyst } = await setup();
		const stream = sse(await open(analyst));
		await stream.next();
		hub.close();
		const end = await stream.next();
		expect(end).toMatchObject({ event: "end", data: JSON.stringify({ reason: "closed" }) });
		await stream.ended();
	});
});

describe("the live stream's heartbeat", () => {
	/** The routes alone, behind a guard the test can turn against the caller. */
	function app(hub: LiveEventHub, heartbeatMs: number) {
		const state = { allowed: true, checks: 0 };
		const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
			state.checks++;
			if (!state.allowed) throw new ForbiddenError("no longer allowed");
			c.set("admin", { userId: "usr_1", email: "a@example.com", admin: false, grants: new Map([["g1", "analyst"]]) });
			await next();
		};
		const store = { getGame: async (id: string) => ({ id, name: id, createdAt: 0 }) };
		const routes = new Hono<AppEnv>();
		routes.route("/", liveRoutes({ store: store as never, hub, guard, heartbeatMs }));
		routes.onError((error, c) =>
			c.json(
				{ code: error instanceof ProblemError ? error.code : "internal" },
				error instanceof ProblemError ? 403 : 500,
			),
		);
		return { routes, state };
	}

	it("sends heartbeat comments, checking the credentials again each time, and ends once they are refused", async () => {
		const hub = new LiveEventHub();
		const { routes, state } = app(hub, 30);
		const stream = sse(await routes.request("/games/g1/events/live"));
		expect((await stream.next()).event).toBe("ready");
		const heartbeat = await stream.next();
		expect(heartbeat).toMatchObject({ event: "", comments: ["heartbeat"] });
		expect(state.checks).toBeGreaterThanOrEqual(2);

		state.allowed = false;
		let message = await stream.next();
		while (message.event === "") message = await stream.next();
		expect(message).toMatchObject({ event: "end", data: JSON.stringify({ reason: "unauthorized" }) });
		await stream.ended();
		expect(hub.streamCount).toBe(0);
	});
});
