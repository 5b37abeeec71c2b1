// The authorization matrix (OWASP API Security Top 10 2023: API1 broken object level authorization, API5 broken
// function level authorization). Every operation of the OpenAPI document is called against the running app by every
// kind of caller, always aiming at game A, and the status must be what MATRIX says the operation needs:
// - a role (viewer < analyst < owner): that role or higher on game A, or instance admin → 2xx; a lower role on A →
//   403; a role on game B only, or no grant at all → 404, exactly what a game that does not exist answers;
// - "admin": instance admins only (setup) → others 403;
// - "user": any signed-in user (the answer is scoped to their games);
// - "game token": a game server's access token; game B's token aimed at game A's path → 403;
// - "credential": the route takes its own credential (a password, a game key, a webhook signature): no token opens it;
// - "public": everyone, the same answer.
// Requests are valid (real bodies, existing objects of game A), so a status tells about authorization, not
// validation: an allowed caller must get a 2xx. An operation added to the document without a row here fails, and so
// does a row whose operation left the document.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../openapi/document.js";
import { T0, makeBatch, makeEvent } from "../testing/fixtures.js";
import { createTestApp, TEST_PASSWORD, type TestApp } from "../testing/test-app.js";
import { createGameKey } from "./provisioning.js";
import { ADMIN_ROLES, roleAllows, type AdminRole } from "./roles.js";

type Access = AdminRole | "admin" | "user" | "game token" | "credential" | "public";

/** One call: the path (game A's objects filled in), the method's body and headers. */
interface Call {
	path: string;
	body?: unknown;
	/** Form-encoded instead of JSON. */
	form?: string;
}

interface Row {
	access: Access;
	/** The request; `n` is unique per call, for objects an allowed call creates or deletes. @default GET-style path */
	call?: (n: number) => Call | Promise<Call>;
	/** The status an allowed caller gets when a 2xx cannot be had (the handler ran past the guard). @default 2xx */
	allowed?: number;
}

const A = "ga";
const B = "gb";
const NOW = T0 + 30 * 86_400_000;

/** State every row may use, made in beforeAll. */
let t: TestApp;
let adminAuth: string;
let targetUserId = "";
const targetEmail = "target@example.com";

/** A call to the admin API with the admin's token, for preparing objects; fails the test unless 2xx. */
async function prepare(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
	const res = await t.app.request(path, {
		method,
		headers: { Authorization: adminAuth, "Content-Type": "application/json" },
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
	});
	if (res.status >= 300) throw new Error(`prepare ${method} ${path}: ${res.status} ${await res.text()}`);
	return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

const SHOP = {
	variations: [{ key: "control" }, { key: "grid" }],
	primaryMetric: { key: "bought", type: "conversion", event: "shop_purchase" },
};
/** A library metric (metric-library-routes.ts). */
const D1 = { key: "d1", type: "retention", day: 1 };
const batch = (n: number) =>
	makeBatch([makeEvent({ id: `01JGZ0000000000000000${String(n).padStart(5, "0")}`, time: NOW - 1000 })], {
		batchId: `batch-${n}`,
		sentAt: NOW,
	});
const admin = (path: string) => `/v1/admin/games/${A}${path}`;
const games = (path: string) => `/v1/games/${A}${path}`;

/**
 * What each operation of the OpenAPI document needs, aimed at game A. The one place the access rules are written
 * down for tests: change a route's guard and its row here together.
 */
const MATRIX: Record<string, Row> = {
	// Operations.
	"GET /healthz": { access: "public" },
	"GET /readyz": { access: "public" },
	"GET /metrics": { access: "admin" },
	"GET /.well-known/jwks.json": { access: "public" },
	// Credentials of their own.
	"POST /v1/oauth/token": {
		access: "credential",
		call: () => ({ path: "/v1/oauth/token", form: "grant_type=client_credentials" }),
	},
	"POST /v1/admin/login": {
		access: "credential",
		call: () => ({ path: "/v1/admin/login", body: { email: "nobody@example.com", password: "not the password" } }),
	},
	"POST /v1/webhooks/roblox": { access: "credential", call: () => ({ path: "/v1/webhooks/roblox", body: {} }) },
	// Game servers.
	"POST /v1/batches": { access: "game token", call: (n) => ({ path: "/v1/batches", body: batch(n) }) },
	"POST /v1/games/{gameId}/batches": {
		access: "game token",
		call: (n) => ({ path: games("/batches"), body: batch(n) }),
	},
	"GET /v1/config": { access: "game token" },
	// The signed-in user and instance setup.
	"GET /v1/admin/me": { access: "user" },
	"GET /v1/admin/games": { access: "user" },
	"POST /v1/admin/games": { access: "admin", call: (n) => ({ path: "/v1/admin/games", body: { id: `new-${n}` } }) },
	"GET /v1/admin/users": { access: "admin" },
	"POST /v1/admin/users": {
		access: "admin",
		call: (n) => ({ path: "/v1/admin/users", body: { email: `u${n}@example.com` } }),
	},
	"PATCH /v1/admin/users/{userId}": {
		access: "admin",
		call: () => ({ path: `/v1/admin/users/${targetUserId}`, body: { disabled: false } }),
	},
	"GET /v1/admin/warehouse": { access: "admin" },
	// A game's keys and members.
	"GET /v1/admin/games/{gameId}/keys": { access: "owner" },
	"POST /v1/admin/games/{gameId}/keys": {
		access: "owner",
		call: () => ({ path: admin("/keys"), body: { name: "ci" } }),
	},
	"POST /v1/admin/keys/{keyId}/revoke": {
		access: "owner",
		call: async () => {
			const { summary } = await createGameKey(t.store, { gameId: A, now: NOW });
			return { path: `/v1/admin/keys/${summary.id}/revoke` };
		},
	},
	"GET /v1/admin/games/{gameId}/members": { access: "owner" },
	"POST /v1/admin/games/{gameId}/members": {
		access: "owner",
		call: () => ({ path: admin("/members"), body: { email: targetEmail, role: "viewer" } }),
	},
	"DELETE /v1/admin/games/{gameId}/members/{userId}": {
		access: "owner",
		call: async (n) => {
			const { user } = (await prepare("POST", "/v1/admin/users", {
				email: `member${n}@example.com`,
				games: [{ gameId: A, role: "viewer" }],
			})) as { user: { id: string } };
			return { path: admin(`/members/${user.id}`) };
		},
	},
	// Experiments and flags.
	"GET /v1/admin/games/{gameId}/experiments": { access: "viewer" },
	"POST /v1/admin/games/{gameId}/experiments": {
		access: "analyst",
		call: (n) => ({ path: admin("/experiments"), body: { ...SHOP, key: `new-${n}` } }),
	},
	"GET /v1/admin/games/{gameId}/experiments/{key}": {
		access: "viewer",
		call: () => ({ path: admin("/experiments/shop") }),
	},
	"PATCH /v1/admin/games/{gameId}/experiments/{key}": {
		access: "analyst",
		call: (n) => ({ path: admin("/experiments/shop"), body: { name: `Shop ${n}` } }),
	},
	"DELETE /v1/admin/games/{gameId}/experiments/{key}": {
		access: "analyst",
		call: async (n) => {
			await prepare("POST", admin("/experiments"), { ...SHOP, key: `gone-${n}` });
			return { path: admin(`/experiments/gone-${n}`) };
		},
	},
	"GET /v1/admin/games/{gameId}/experiments/{key}/results": {
		access: "viewer",
		call: () => ({ path: admin("/experiments/shop/results") }),
	},
	"GET /v1/admin/games/{gameId}/experiments/{key}/breakdown": {
		access: "viewer",
		call: () => ({ path: admin("/experiments/shop/breakdown?dimension=platform") }),
	},
	"GET /v1/admin/games/{gameId}/experiment-alerts": {
		access: "viewer",
		call: () => ({ path: admin("/experiment-alerts") }),
	},
	"POST /v1/admin/games/{gameId}/experiments/{key}/adaptive-update": {
		access: "analyst",
		call: () => ({ path: admin("/experiments/bandit/adaptive-update") }),
	},
	"GET /v1/admin/games/{gameId}/experiments/{key}/exposures": {
		access: "viewer",
		call: () => ({ path: admin("/experiments/shop/exposures") }),
	},
	"POST /v1/admin/games/{gameId}/experiments/plan": {
		access: "viewer",
		call: () => ({ path: admin("/experiments/plan"), body: { baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1 } }),
	},
	"POST /v1/admin/games/{gameId}/experiments/preview": {
		access: "viewer",
		call: () => ({
			path: admin("/experiments/preview"),
			body: { key: "shop", variations: SHOP.variations, sample: { source: "synthetic", players: 100, firstUserId: 1 } },
		}),
	},
	"GET /v1/admin/games/{gameId}/flags": { access: "viewer" },
	"POST /v1/admin/games/{gameId}/flags": {
		access: "analyst",
		call: (n) => ({ path: admin("/flags"), body: { key: `new-${n}` } }),
	},
	"GET /v1/admin/games/{gameId}/flags/{key}": { access: "viewer", call: () => ({ path: admin("/flags/banner") }) },
	"PATCH /v1/admin/games/{gameId}/flags/{key}": {
		access: "analyst",
		call: (n) => ({ path: admin("/flags/banner"), body: { description: `change ${n}` } }),
	},
	"DELETE /v1/admin/games/{gameId}/flags/{key}": {
		access: "analyst",
		call: async (n) => {
			await prepare("POST", admin("/flags"), { key: `gone-${n}` });
			return { path: admin(`/flags/gone-${n}`) };
		},
	},
	// Layers and the global holdout.
	"GET /v1/admin/games/{gameId}/layers": { access: "viewer" },
	"POST /v1/admin/games/{gameId}/layers": {
		access: "analyst",
		call: (n) => ({ path: admin("/layers"), body: { id: `new-${n}` } }),
	},
	"GET /v1/admin/games/{gameId}/layers/{layerId}": { access: "viewer", call: () => ({ path: admin("/layers/main") }) },
	"PATCH /v1/admin/games/{gameId}/layers/{layerId}": {
		access: "analyst",
		call: (n) => ({ path: admin("/layers/main"), body: { description: `change ${n}` } }),
	},
	"DELETE /v1/admin/games/{gameId}/layers/{layerId}": {
		access: "analyst",
		call: async (n) => {
			await prepare("POST", admin("/layers"), { id: `gone-${n}` });
			return { path: admin(`/layers/gone-${n}`) };
		},
	},
	"POST /v1/admin/games/{gameId}/layers/{layerId}/place": {
		access: "analyst",
		call: async (n) => {
			await prepare("POST", admin("/experiments"), { ...SHOP, key: `placed-${n}` });
			return { path: admin("/layers/main/place"), body: { experiment: `placed-${n}`, size: 0.01 } };
		},
	},
	"GET /v1/admin/games/{gameId}/holdout": { access: "viewer" },
	// The holdout as beforeAll set it (before the experiments started): unchanged, so allowed while they run.
	"PUT /v1/admin/games/{gameId}/holdout": {
		access: "analyst",
		call: () => ({ path: admin("/holdout"), body: { percent: 5, seed: "matrix" } }),
	},
	"POST /v1/admin/games/{gameId}/holdout/results": {
		access: "viewer",
		call: () => ({
			path: admin("/holdout/results"),
			body: { metric: SHOP.primaryMetric, from: new Date(NOW - 86_400_000).toISOString() },
		}),
	},
	// The metric library.
	"GET /v1/admin/games/{gameId}/metric-library": { access: "viewer" },
	"POST /v1/admin/games/{gameId}/metric-library": {
		access: "analyst",
		call: (n) => ({ path: admin("/metric-library"), body: { definition: { ...D1, key: `new-${n}` } } }),
	},
	"GET /v1/admin/games/{gameId}/metric-library/{key}": {
		access: "viewer",
		call: () => ({ path: admin("/metric-library/d1") }),
	},
	"PATCH /v1/admin/games/{gameId}/metric-library/{key}": {
		access: "analyst",
		call: (n) => ({ path: admin("/metric-library/d1"), body: { definition: { ...D1, description: `change ${n}` } } }),
	},
	"GET /v1/admin/games/{gameId}/metric-library/{key}/versions": {
		access: "viewer",
		call: () => ({ path: admin("/metric-library/d1/versions") }),
	},
	"POST /v1/admin/games/{gameId}/metric-library/{key}/archive": {
		access: "analyst",
		call: async (n) => {
			await prepare("POST", admin("/metric-library"), { definition: { ...D1, key: `gone-${n}` } });
			return { path: admin(`/metric-library/gone-${n}/archive`) };
		},
	},
	// Predictions (a run is trained first, so reads find one).
	"GET /v1/admin/games/{gameId}/predictions": {
		access: "viewer",
		call: async () => {
			await prepare("POST", admin("/predictions/train"));
			return { path: admin("/predictions") };
		},
	},
	"GET /v1/admin/games/{gameId}/predictions/players": {
		access: "analyst",
		call: async () => {
			await prepare("POST", admin("/predictions/train"));
			return { path: admin("/predictions/players?list=churn") };
		},
	},
	"POST /v1/admin/games/{gameId}/predictions/train": { access: "analyst" },
	"GET /v1/admin/games/{gameId}/recommendations": {
		access: "viewer",
		call: () => ({ path: admin("/recommendations?items=developer_product:1&n=3") }),
	},
	"GET /v1/admin/games/{gameId}/anomalies": {
		access: "viewer",
		call: async () => {
			await prepare("POST", admin("/predictions/train"));
			return { path: admin("/anomalies") };
		},
	},
	// Settings, digest, rollups.
	"GET /v1/admin/games/{gameId}/settings": { access: "viewer" },
	"PATCH /v1/admin/games/{gameId}/settings": {
		access: "owner",
		call: () => ({ path: admin("/settings"), body: { digestHour: 9 } }),
	},
	// No digest webhook is set: an allowed caller reaches the handler, which says so (409).
	"POST /v1/admin/games/{gameId}/digest/test": { access: "owner", allowed: 409 },
	"POST /v1/admin/games/{gameId}/warehouse/rebuild": { access: "owner" },
	// Raw events.
	"GET /v1/games/{gameId}/events": { access: "analyst" },
	"GET /v1/games/{gameId}/events/export": {
		access: "analyst",
		call: () => ({ path: games("/events/export?format=ndjson") }),
	},
	"GET /v1/games/{gameId}/events/live": { access: "analyst" },
	// Analytics.
	"GET /v1/games/{gameId}/metrics": { access: "viewer" },
	"GET /v1/games/{gameId}/metrics/event-names": { access: "viewer" },
	"GET /v1/games/{gameId}/metrics/active-users": { access: "viewer" },
	"GET /v1/games/{gameId}/metrics/sessions": { access: "viewer" },
	"GET /v1/games/{gameId}/metrics/retention": { access: "viewer" },
	"GET /v1/games/{gameId}/metrics/funnel": {
		access: "viewer",
		call: () => ({ path: games("/metrics/funnel?steps=a,b") }),
	},
	"GET /v1/games/{gameId}/metrics/revenue": { access: "viewer" },
	"GET /v1/games/{gameId}/metrics/economy": { access: "viewer" },
	"GET /v1/games/{gameId}/metrics/progression": { access: "viewer" },
	"GET /v1/games/{gameId}/metrics/kpi": { access: "viewer", call: () => ({ path: games("/metrics/kpi?event=ping") }) },
	"GET /v1/games/{gameId}/metrics/trends": {
		access: "viewer",
		call: () => ({ path: games("/metrics/trends?events=ping") }),
	},
	"GET /v1/games/{gameId}/metrics/overview": { access: "viewer" },
	// Privacy and consent.
	"GET /v1/games/{gameId}/players/{userId}/export": {
		access: "owner",
		call: () => ({ path: games("/players/42/export") }),
	},
	"DELETE /v1/games/{gameId}/players/{userId}": {
		access: "owner",
		call: (n) => ({ path: games(`/players/${1000 + n}`) }),
	},
	"GET /v1/admin/privacy/jobs/{jobId}": {
		access: "owner",
		call: async (n) => {
			const job = await prepare("DELETE", games(`/players/${5000 + n}`));
			return { path: `/v1/admin/privacy/jobs/${String(job.id)}` };
		},
	},
	"GET /v1/admin/games/{gameId}/consent/policies": { access: "viewer" },
	"POST /v1/admin/games/{gameId}/consent/policies": {
		access: "owner",
		call: (n) => ({ path: admin("/consent/policies"), body: { version: `v${n}`, summary: "What we collect." } }),
	},
	"GET /v1/games/{gameId}/players/{userId}/consent": {
		access: "analyst",
		call: () => ({ path: games("/players/42/consent") }),
	},
	"GET /v1/games/{gameId}/consent/summary": { access: "viewer" },
	// A user's own sessions, password and second factor (session-routes.ts); other users' for instance admins. Rows
	// whose 2xx needs an object the matrix cannot name (another caller's session) expect the handler's 404 or 409.
	"GET /v1/admin/sessions": { access: "user" },
	"DELETE /v1/admin/sessions/{sessionId}": {
		access: "user",
		call: (n) => ({ path: `/v1/admin/sessions/none-${n}` }),
		allowed: 404,
	},
	"GET /v1/admin/users/{userId}/sessions": {
		access: "admin",
		call: () => ({ path: `/v1/admin/users/${targetUserId}/sessions` }),
	},
	"DELETE /v1/admin/users/{userId}/sessions/{sessionId}": {
		access: "admin",
		call: (n) => ({ path: `/v1/admin/users/${targetUserId}/sessions/none-${n}` }),
		allowed: 404,
	},
	"POST /v1/admin/me/password": {
		access: "user",
		// The same password again: the caller's token keeps working for the rows after this one.
		call: () => ({
			path: "/v1/admin/me/password",
			body: { currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD },
		}),
	},
	"POST /v1/admin/users/{userId}/password": {
		access: "admin",
		call: () => ({ path: `/v1/admin/users/${targetUserId}/password`, body: {} }),
	},
	"GET /v1/admin/me/totp": { access: "user" },
	// Before any enrolment: nothing to confirm (409) for every signed-in caller.
	"POST /v1/admin/me/totp/confirm": {
		access: "user",
		call: () => ({ path: "/v1/admin/me/totp/confirm", body: { code: "000000" } }),
		allowed: 409,
	},
	"POST /v1/admin/me/totp": {
		access: "user",
		call: () => ({ path: "/v1/admin/me/totp", body: { password: TEST_PASSWORD } }),
	},
	// The pending enrolment of the row above is withdrawn (a pending one needs no code).
	"DELETE /v1/admin/me/totp": {
		access: "user",
		call: () => ({ path: "/v1/admin/me/totp", body: { password: TEST_PASSWORD, code: "000000" } }),
	},
	"DELETE /v1/admin/users/{userId}/totp": {
		access: "admin",
		call: () => ({ path: `/v1/admin/users/${targetUserId}/totp` }),
		allowed: 404,
	},
};

type Caller =
	| "instance admin"
	| `${AdminRole} of A`
	| `${AdminRole} of B`
	| "no grant"
	| "no token"
	| "game token of A"
	| "game token of B";

const CALLERS: readonly Caller[] = [
	"instance admin",
	...ADMIN_ROLES.map((r) => `${r} of A` as const),
	...ADMIN_ROLES.map((r) => `${r} of B` as const),
	"no grant",
	"no token",
	"game token of A",
	"game token of B",
];

/** "2xx", "not 2xx" (credential routes), or the exact status. */
type Expected = "2xx" | "not 2xx" | number;

/** What `caller` must get from an operation needing `access` on game A (`gamePath`: the path names the game). */
function expected(row: Row, caller: Caller, gamePath: boolean): Expected {
	const allowed: Expected = row.allowed ?? "2xx";
	const gameToken = caller.startsWith("game token");
	const signedIn = !gameToken && caller !== "no token";
	switch (row.access) {
		case "public":
			return "2xx";
		case "credential":
			return "not 2xx";
		case "game token":
			if (!gameToken) return 401;
			return caller === "game token of B" && gamePath ? 403 : allowed;
		case "user":
			return signedIn ? allowed : 401;
		case "admin":
			if (!signedIn) return 401;
			return caller === "instance admin" ? allowed : 403;
		default: {
			if (!signedIn) return 401;
			if (caller === "instance admin") return allowed;
			const [role, , game] = caller.split(" ") as [AdminRole, string, string];
			if (game !== "A") return 404;
			return roleAllows(role, row.access) ? allowed : 403;
		}
	}
}

function matches(status: number, want: Expected): boolean {
	if (want === "2xx") return status >= 200 && status < 300;
	if (want === "not 2xx") return status < 200 || status >= 300;
	return status === want;
}

/** Every operation of the document, as "METHOD /path". */
function documentOperations(): string[] {
	const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
	const methods = new Set(["get", "post", "put", "patch", "delete"]);
	return Object.entries(doc.paths).flatMap(([path, item]) =>
		Object.keys(item)
			.filter((m) => methods.has(m))
			.map((m) => `${m.toUpperCase()} ${path}`),
	);
}

const auth: Partial<Record<Caller, string>> = {};
let counter = 0;

beforeAll(async () => {
	t = await createTestApp({ now: NOW });
	auth["game token of A"] = await t.gameAuth(A);
	auth["game token of B"] = await t.gameAuth(B);
	adminAuth = await t.adminAuth("admin");
	auth["instance admin"] = adminAuth;
	for (const role of ADMIN_ROLES) {
		auth[`${role} of A`] = await t.adminAuth(role, [A]);
		auth[`${role} of B`] = await t.adminAuth(role, [B]);
	}
	auth["no grant"] = await t.adminAuth("viewer", []);
	const { user } = (await prepare("POST", "/v1/admin/users", { email: targetEmail })) as { user: { id: string } };
	targetUserId = user.id;
	// Game A's objects the rows read; B gets the same keys, so a leak would find something to show.
	for (const gameId of [A, B]) {
		const startAt = new Date(NOW - 7 * 86_400_000).toISOString();
		// The holdout first: it cannot change once experiments run.
		await prepare("PUT", `/v1/admin/games/${gameId}/holdout`, { percent: 5, seed: "matrix" });
		await prepare("POST", `/v1/admin/games/${gameId}/experiments`, { ...SHOP, key: "shop", startAt });
		await prepare("POST", `/v1/admin/games/${gameId}/experiments`, {
			...SHOP,
			key: "bandit",
			status: "running",
			startAt,
			assignment: { mode: "adaptive" },
		});
		await prepare("POST", `/v1/admin/games/${gameId}/flags`, { key: "banner" });
		await prepare("POST", `/v1/admin/games/${gameId}/metric-library`, { role: "guardrail", definition: D1 });
		await prepare("POST", `/v1/admin/games/${gameId}/layers`, { id: "main" });
	}
});
afterAll(() => t.close());

describe("the authorization matrix", () => {
	it("has a row for every operation of the OpenAPI document, and none for an operation it does not have", () => {
		const documented = documentOperations().sort();
		const rows = Object.keys(MATRIX).sort();
		expect(
			documented.filter((op) => !(op in MATRIX)),
			"operations without a row in MATRIX",
		).toEqual([]);
		expect(
			rows.filter((op) => !documented.includes(op)),
			"rows of operations not in the document",
		).toEqual([]);
	});

	it.each(Object.keys(MATRIX))("%s answers each caller as its row says", async (operation) => {
		const row = MATRIX[operation]!;
		const [method = "GET", template = ""] = operation.split(" ");
		const gamePath = template.includes("{gameId}");
		const mismatches: string[] = [];
		for (const caller of CALLERS) {
			const call: Call = await (row.call ?? (() => ({ path: template.replace("{gameId}", A) })))(++counter);
			const headers: Record<string, string> = {};
			const token = auth[caller];
			if (token) headers.Authorization = token;
			let body: string | undefined;
			if (call.form !== undefined) {
				headers["Content-Type"] = "application/x-www-form-urlencoded";
				body = call.form;
			} else if (call.body !== undefined) {
				headers["Content-Type"] = "application/json";
				body = JSON.stringify(call.body);
			}
			const res = await t.app.request(call.path, { method, headers, ...(body === undefined ? {} : { body }) });
			// A stream (the live events) is only opened: its status is what counts.
			if (res.headers.get("content-type")?.startsWith("text/event-stream")) await res.body?.cancel();
			else await res.arrayBuffer();
			const want = expected(row, caller, gamePath);
			if (!matches(res.status, want)) mismatches.push(`${caller}: got ${res.status}, want ${want}`);
		}
		expect(mismatches).toEqual([]);
	});
});
