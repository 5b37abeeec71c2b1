// POST /v1/webhooks/roblox: Roblox's Right-to-Erasure notifications, signed with the webhook's secret.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp } from "../testing/test-app.js";
import { AUDIT_ACTIONS } from "./audit.js";
import { WEBHOOK_SECRET, openPrivacyBackend, scanForUserId, type PrivacyBackend } from "./privacy-harness.js";
import { robloxSignature } from "./roblox-signature.js";

const USER = 918_273_645;
const OTHER = 55_501_234;
const G1 = "7770001";
const G2 = "7770002";
/** A universe id this backend does not hold. */
const G_UNKNOWN = "7779999";

let backend: PrivacyBackend;
let owner: string;
let nowSeconds: number;

beforeEach(async () => {
	backend = await openPrivacyBackend();
	owner = await backend.adminAuth("owner");
	nowSeconds = Math.floor(backend.clock.now / 1000);
	for (const gameId of [G1, G2]) {
		await backend.ingest(gameId, "b1", [
			event("e1", USER, backend.clock.now - 5000),
			event("e2", OTHER, backend.clock.now - 4000),
			event("e3", USER, backend.clock.now - 3000),
		]);
	}
});
afterEach(() => backend.close());

function event(id: string, userId: number, time: number) {
	return { id, time, userId, sessionId: `s-${userId}`, type: "custom" as const, name: "ping", props: {} };
}

function notification(overrides: Record<string, unknown> = {}, payload: Record<string, unknown> = {}): string {
	return JSON.stringify({
		NotificationId: "5b6c0e5a-6f3a-4c8b-9a57-8d1f3f0c1a2b",
		EventType: "RightToErasureRequest",
		EventTime: "2025-02-10T16:24:24.2118874Z",
		EventPayload: { UserId: USER, GameIds: [Number(G1), Number(G2), Number(G_UNKNOWN)], ...payload },
		...overrides,
	});
}

function signed(body: string, options: { secret?: string; t?: number; extra?: string[] } = {}): string {
	const t = options.t ?? nowSeconds;
	const v1 = robloxSignature(options.secret ?? WEBHOOK_SECRET, t, body);
	return [`t=${t}`, ...(options.extra ?? []), `v1=${v1}`].join(",");
}

async function post(body: string, signature: string | undefined, app = backend.app) {
	const headers: Record<string, string> = { "Content-Type": "application/json" };
	if (signature !== undefined) headers["roblox-signature"] = signature;
	const res = await app.request("/v1/webhooks/roblox", { method: "POST", headers, body });
	if (res.status === 401) expect(res.headers.get("www-authenticate")).toBe('Roblox-Signature realm="vantage-webhooks"');
	return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function userEvents(gameId: string): Promise<number> {
	return (await backend.store.listEvents({ gameId, userId: USER, limit: 100 })).length;
}

async function auditActions(): Promise<string[]> {
	// Admin logins and changes (admin.*) are audited too; these tests are about the webhook's entries.
	return (await backend.store.privacy.listAudit(0, 1000)).map((e) => e.action).filter((a) => !a.startsWith("admin."));
}

/** Nothing was asked, nothing was erased: the player's events are all still there and no job exists. */
async function expectNothingErased(): Promise<void> {
	await backend.erasure.jobs.idle();
	expect(await userEvents(G1)).toBe(2);
	expect(await userEvents(G2)).toBe(2);
	expect(await auditActions()).not.toContain(AUDIT_ACTIONS.erasureRequested);
	expect(await backend.store.privacy.unfinishedJobs()).toEqual([]);
}

describe("POST /v1/webhooks/roblox", () => {
	it("accepts a validly signed erasure request at once and erases the player in every listed game it holds", async () => {
		const body = notification();
		const started = performance.now();
		const res = await post(body, signed(body));
		expect(performance.now() - started).toBeLessThan(5000);
		expect(res.status).toBe(202);
		expect(res.body).toMatchObject({ status: "accepted", job: { status: "pending", source: "roblox_webhook" } });
		const jobId = res.body.jobId as string;

		await backend.erasure.jobs.idle();
		const job = await backend.app.request(`/v1/admin/privacy/jobs/${jobId}`, { headers: { Authorization: owner } });
		expect(await job.json()).toMatchObject({
			status: "completed",
			gameIds: [G1, G2, G_UNKNOWN],
			result: { [G1]: { status: "erased" }, [G2]: { status: "erased" }, [G_UNKNOWN]: { status: "unknown_game" } },
		});
		expect(await userEvents(G1)).toBe(0);
		expect(await userEvents(G2)).toBe(0);
		expect(await backend.store.listEvents({ gameId: G1, userId: OTHER, limit: 10 })).toHaveLength(1);
		expect(scanForUserId(backend.databaseFiles, USER)).toEqual([]);
		expect(await auditActions()).toEqual([
			AUDIT_ACTIONS.erasureRequested,
			AUDIT_ACTIONS.erasureRequested,
			AUDIT_ACTIONS.erasureRequested,
			AUDIT_ACTIONS.webhookReceived,
			AUDIT_ACTIONS.erasureCompleted,
			AUDIT_ACTIONS.erasureCompleted,
		]);
	});

	it("accepts a header with several v1 values when one matches (secret rotation)", async () => {
		const body = notification();
		const other = robloxSignature("an-older-secret-of-the-webhook", nowSeconds, body);
		const res = await post(body, signed(body, { extra: [`v1=${other}`] }));
		expect(res.status).toBe(202);
	});

	it("answers a replayed NotificationId with the first job and erases nothing twice", async () => {
		const body = notification();
		const first = await post(body, signed(body));
		await backend.erasure.jobs.idle();
		// The same delivery again, and a later delivery of the same notification with a fresh signature.
		const again = await post(body, signed(body));
		const later = await post(body, signed(body, { t: nowSeconds + 30 }));
		for (const res of [again, later]) {
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({ status: "replayed", jobId: first.body.jobId, job: { status: "completed" } });
		}
		await backend.erasure.jobs.idle();
		const actions = await auditActions();
		expect(actions.filter((a) => a === AUDIT_ACTIONS.erasureCompleted)).toHaveLength(2);
		expect(actions.filter((a) => a === AUDIT_ACTIONS.erasureRequested)).toHaveLength(3);
		expect(actions.filter((a) => a === AUDIT_ACTIONS.webhookReceived)).toHaveLength(3);
		expect(await backend.store.privacy.unfinishedJobs()).toEqual([]);
	});

	it("refuses a forged signature with 401 and erases nothing", async () => {
		const body = notification();
		const forged = `t=${nowSeconds},v1=${Buffer.alloc(32, 7).toString("base64")}`;
		const res = await post(body, forged);
		expect(res.status).toBe(401);
		expect(res.body).toMatchObject({ code: "unauthorized", detail: "The signature does not match the body." });
		await expectNothingErased();
	});

	it("refuses a signature made with another secret, or over another body, with 401", async () => {
		const body = notification();
		expect((await post(body, signed(body, { secret: "not-the-webhook-secret-at-all" }))).status).toBe(401);
		const other = notification({}, { UserId: OTHER });
		expect((await post(body, signed(other))).status).toBe(401);
		await expectNothingErased();
	});

	it("refuses timestamps more than 10 minutes old or ahead with 401, accepts the edge of the window", async () => {
		const body = notification();
		const stale = await post(body, signed(body, { t: nowSeconds - 601 }));
		expect(stale).toMatchObject({
			status: 401,
			body: { detail: "The signature's timestamp is more than 10 minutes old." },
		});
		const future = await post(body, signed(body, { t: nowSeconds + 601 }));
		expect(future).toMatchObject({
			status: 401,
			body: { detail: "The signature's timestamp is more than 10 minutes ahead." },
		});
		await expectNothingErased();
		expect((await post(body, signed(body, { t: nowSeconds - 600 }))).status).toBe(202);
	});

	it("refuses a missing or malformed signature header with 401", async () => {
		const body = notification();
		const v1 = robloxSignature(WEBHOOK_SECRET, nowSeconds, body);
		for (const header of [
			undefined,
			"",
			"garbage",
			`v1=${v1}`,
			`t=${nowSeconds}`,
			`t=abc,v1=${v1}`,
			`t=${nowSeconds},t=${nowSeconds},v1=${v1}`,
			`t=${nowSeconds},v1=not base64!`,
			`t=${nowSeconds},v1=${Buffer.alloc(16).toString("base64")}`,
			`t=${nowSeconds};v1=${v1}`,
		]) {
			const res = await post(body, header);
			expect(res.status, String(header)).toBe(401);
		}
		await expectNothingErased();
	});

	it("refuses a signed body that is not JSON, or not a notification, with 400", async () => {
		const text = "UserId=918273645";
		expect(await post(text, signed(text))).toMatchObject({ status: 400, body: { code: "invalid_json" } });
		const envelope = JSON.stringify({ EventType: "RightToErasureRequest" });
		expect(await post(envelope, signed(envelope))).toMatchObject({ status: 400, body: { code: "validation_failed" } });
		const noUser = notification({}, { UserId: undefined });
		expect(await post(noUser, signed(noUser))).toMatchObject({ status: 400, body: { code: "validation_failed" } });
		const zero = notification({}, { UserId: 0 });
		expect((await post(zero, signed(zero))).status).toBe(400);
		await expectNothingErased();
	});

	it("answers an authentic notification of another EventType 200 ignored, erasing nothing", async () => {
		for (const eventType of ["SampleNotification", "SomethingNew"]) {
			const body = notification({ EventType: eventType, NotificationId: `n-${eventType}` });
			const res = await post(body, signed(body));
			expect(res).toEqual({ status: 200, body: { status: "ignored", jobId: null, job: null } });
		}
		await expectNothingErased();
		expect(await auditActions()).toEqual([AUDIT_ACTIONS.webhookReceived, AUDIT_ACTIONS.webhookReceived]);
	});
});

describe("POST /v1/webhooks/roblox without a configured secret", () => {
	it("answers 503 with a problem naming the variable", async () => {
		const t = await createTestApp();
		try {
			const body = notification();
			const res = await post(body, signed(body), t.app);
			expect(res.status).toBe(503);
			expect(res.body).toMatchObject({ code: "unavailable" });
			expect(String(res.body.detail)).toContain("VANTAGE_ROBLOX_WEBHOOK_SECRET");
		} finally {
			await t.close();
		}
	});
});
