// A scripted Vantage backend for SDK specs: a real HTTP server on 127.0.0.1 that the SDK's real transport talks to
// through the emulated HttpService (real fetch, real gzip), plus a harness-only global `HarnessBackend` in the VM
// (declared for specs in test/sdk/harness.d.ts; Luau half: scripted-backend.luau) through which a spec scripts the
// answers and reads what arrived.
//
// By default it behaves like the real backend's contract (issue 4), in small:
// * POST /v1/oauth/token: `Authorization: Bearer <game key>` → `{access_token, token_type, expires_in}`; a wrong key
//   → 401 invalid_client.
// * POST /v1/batches: the bearer token must be one it issued and not expired on the sending VM's virtual clock
//   (→ 401 invalid_token); gzip bodies are inflated; more than `maxEvents` events → 400 with an issue on `events`;
//   a batchId seen before is answered with its first answer and `Idempotent-Replayed: true`; each event is accepted,
//   a duplicate (its id was stored before), or rejected by index when malformed (no id, props not an object).
// * GET /ping → 200 "pong" (for specs that spend HttpService's own budget).
// A spec can queue scripted answers per route ("POST /v1/batches"), each used once, in order: any status, headers
// and body, or a network error (the socket is destroyed: RequestAsync throws), optionally after the default handler
// has processed the request (a response lost on the way back). `setDown(true)` makes every request a network error.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { RobloxVm, ServicePlugin } from "../vm.js";
import { dataStoresOf } from "./datastore.js";
import { httpLog, type HttpLogEntry } from "./http.js";

const here = dirname(fileURLToPath(import.meta.url));

/** One scripted answer. */
export interface ScriptedResponse {
	/** Default 200. */
	status?: number;
	headers?: Record<string, string>;
	/** Raw body; or `json`, sent as JSON. */
	body?: string;
	json?: unknown;
	/** Destroy the connection instead of answering: RequestAsync throws ("HttpError: NetFail"). */
	networkError?: boolean;
	/** Let the default handler process the request first (e.g. store a batch), then answer as scripted. */
	process?: boolean;
}

/** One request as the backend received it. */
export interface ReceivedRequest {
	method: string;
	path: string;
	/** Virtual seconds of the sending VM when it sent the request (from its HTTP log). */
	at: number;
	authorization: string;
	contentEncoding: string;
	/** Body size as received (compressed if gzip) and after inflation. */
	wireBytes: number;
	bodyBytes: number;
	/** What the backend did: the status sent, or "network" for a destroyed connection. */
	outcome: number | "network";
	/** For batches: the envelope's fields and the events' ids. */
	batchId?: string;
	sentAt?: number;
	eventCount?: number;
	eventIds?: string[];
}

interface BatchAnswer {
	accepted: number;
	duplicates: number;
	rejected: { index: number; code: string; message: string }[];
}

function routeOf(method: string, path: string): string {
	return `${method.toUpperCase()} ${path}`;
}

export class ScriptedBackend {
	readonly url: string;
	readonly gameKey = "test-game-key";
	readonly requests: ReceivedRequest[] = [];
	/** Event ids stored by the default batch handler, in arrival order. */
	readonly storedEventIds: string[] = [];
	private scripts = new Map<string, ScriptedResponse[]>();
	private answers = new Map<string, BatchAnswer>();
	private eventIds = new Set<string>();
	private tokens = new Map<string, { issuedAt: number; ttl: number }>();
	private tokenSeq = 0;
	private tokenTtl = 900;
	private maxEvents = 10000;
	private down = false;
	private vm?: RobloxVm;
	private matched = new WeakSet<HttpLogEntry>();

	private constructor(private readonly server: Server) {
		const address = server.address() as AddressInfo;
		this.url = `http://127.0.0.1:${address.port}`;
	}

	static async start(): Promise<ScriptedBackend> {
		// The handler needs the backend, which needs the listening server: bind it once both exist.
		const holder: { backend?: ScriptedBackend } = {};
		const server = createServer((req, res) => {
			holder.backend!.handle(req, res).catch((err: unknown) => {
				res.statusCode = 500;
				res.end(String(err));
			});
		});
		server.keepAliveTimeout = 1000;
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		holder.backend = new ScriptedBackend(server);
		return holder.backend;
	}

	async close(): Promise<void> {
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	/** Forgets scripts, requests, stored batches and tokens; back to the defaults. */
	reset(): void {
		this.scripts.clear();
		this.requests.length = 0;
		this.storedEventIds.length = 0;
		this.answers.clear();
		this.eventIds.clear();
		this.tokens.clear();
		this.tokenSeq = 0;
		this.tokenTtl = 900;
		this.maxEvents = 10000;
		this.down = false;
	}

	script(route: string, responses: ScriptedResponse[]): void {
		const [method = "", path = ""] = route.split(" ");
		const key = routeOf(method, path);
		this.scripts.set(key, [...(this.scripts.get(key) ?? []), ...responses]);
	}

	/** The sending VM's virtual time of a request: the oldest unanswered entry of its HTTP log for that path. */
	private virtualTime(path: string): number {
		if (!this.vm) return 0;
		for (const entry of httpLog(this.vm)) {
			if (this.matched.has(entry) || entry.status !== undefined || entry.error !== undefined) continue;
			if (new URL(entry.url).pathname !== path) continue;
			this.matched.add(entry);
			return entry.at;
		}
		return 0;
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const wire = Buffer.concat(chunks);
		const url = new URL(req.url ?? "/", this.url);
		const contentEncoding = String(req.headers["content-encoding"] ?? "");
		const raw = contentEncoding === "gzip" ? gunzipSync(wire) : wire;
		const text = raw.toString("utf8");
		const record: ReceivedRequest = {
			method: req.method ?? "GET",
			path: url.pathname,
			at: this.virtualTime(url.pathname),
			authorization: String(req.headers.authorization ?? ""),
			contentEncoding,
			wireBytes: wire.length,
			bodyBytes: raw.length,
			outcome: 0,
		};
		let json: unknown;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		if (url.pathname === "/v1/batches" && json && typeof json === "object") {
			const batch = json as { batchId?: unknown; sentAt?: unknown; events?: unknown };
			if (typeof batch.batchId === "string") record.batchId = batch.batchId;
			if (typeof batch.sentAt === "number") record.sentAt = batch.sentAt;
			if (Array.isArray(batch.events)) {
				record.eventCount = batch.events.length;
				record.eventIds = batch.events.map((e) => String((e as { id?: unknown })?.id));
			}
		}
		this.requests.push(record);

		const destroy = () => {
			record.outcome = "network";
			req.socket.destroy();
		};
		if (this.down) return destroy();
		const queue = this.scripts.get(routeOf(record.method, record.path));
		const scripted = queue?.shift();
		if (scripted && !scripted.process) return this.answer(res, record, scripted, destroy);
		const result = this.defaultAnswer(record, json);
		if (scripted) return this.answer(res, record, scripted, destroy);
		return this.answer(res, record, result, destroy);
	}

	private answer(res: ServerResponse, record: ReceivedRequest, r: ScriptedResponse, destroy: () => void): void {
		if (r.networkError) return destroy();
		const status = r.status ?? 200;
		record.outcome = status;
		const body = r.json !== undefined ? JSON.stringify(r.json) : (r.body ?? "");
		const headers: Record<string, string> = { ...(r.headers ?? {}) };
		if (r.json !== undefined) {
			headers["Content-Type"] ??= status >= 400 ? "application/problem+json" : "application/json";
		}
		res.writeHead(status, headers);
		res.end(body);
	}

	private problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}) {
		return { status, json: { type: `urn:vantage:problem:${code}`, title: code, status, detail, code, ...extra } };
	}

	/** The contract's behaviour (see the file comment). */
	private defaultAnswer(record: ReceivedRequest, json: unknown): ScriptedResponse {
		if (record.method === "GET" && record.path === "/ping") return { status: 200, body: "pong" };
		if (record.method === "POST" && record.path === "/v1/oauth/token") {
			if (record.authorization !== `Bearer ${this.gameKey}`) {
				return this.problem(401, "invalid_client", "Unknown game key.");
			}
			const token = `tok-${++this.tokenSeq}`;
			this.tokens.set(token, { issuedAt: record.at, ttl: this.tokenTtl });
			return { json: { access_token: token, token_type: "Bearer", expires_in: this.tokenTtl, scope: "ingest" } };
		}
		if (record.method === "POST" && record.path === "/v1/batches") {
			const token = this.tokens.get(record.authorization.replace(/^Bearer /, ""));
			if (!token || record.at >= token.issuedAt + token.ttl) {
				return {
					...this.problem(401, "invalid_token", "The access token is invalid or expired."),
					headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
				};
			}
			const batch = json as { batchId?: unknown; sentAt?: unknown; events?: unknown } | undefined;
			if (!batch || typeof batch.batchId !== "string" || typeof batch.sentAt !== "number") {
				return this.problem(400, "validation_failed", "The batch envelope is invalid.", { errors: [] });
			}
			if (!Array.isArray(batch.events) || batch.events.length > this.maxEvents) {
				return this.problem(400, "validation_failed", "The batch envelope is invalid.", {
					errors: [{ path: "events", message: `Too big: expected array to have <=${this.maxEvents} items` }],
				});
			}
			const first = this.answers.get(batch.batchId);
			if (first) return { json: first, headers: { "Idempotent-Replayed": "true" } };
			const answer: BatchAnswer = { accepted: 0, duplicates: 0, rejected: [] };
			batch.events.forEach((raw, index) => {
				const e = raw as { id?: unknown; props?: unknown };
				const validProps = typeof e?.props === "object" && e.props !== null && !Array.isArray(e.props);
				if (typeof e?.id !== "string" || !validProps) {
					answer.rejected.push({ index, code: "invalid_event", message: "id or props invalid" });
				} else if (this.eventIds.has(e.id)) {
					answer.duplicates += 1;
				} else {
					this.eventIds.add(e.id);
					this.storedEventIds.push(e.id);
					answer.accepted += 1;
				}
			});
			this.answers.set(batch.batchId, answer);
			return { json: answer };
		}
		return this.problem(404, "not_found", "No resource matches this path.");
	}

	/** The service plugin that gives one VM (the Jest VM) the `HarnessBackend` global. */
	plugin(): ServicePlugin {
		return {
			name: "scripted-backend",
			chunks: [join(here, "scripted-backend.luau")],
			host: (vm) => {
				this.vm = vm;
				return {
					sbUrl: () => this.url,
					sbReset: () => {
						this.reset();
						dataStoresOf(vm).clearFailures();
						return true;
					},
					sbScript: (route: string, responsesJson: string) => {
						const parsed = JSON.parse(responsesJson) as unknown;
						this.script(String(route), Array.isArray(parsed) ? (parsed as ScriptedResponse[]) : []);
						return true;
					},
					sbSetDown: (down: boolean) => {
						this.down = down === true;
						return true;
					},
					sbSetTokenTtl: (seconds: number) => {
						this.tokenTtl = Number(seconds);
						return true;
					},
					sbSetMaxEvents: (n: number) => {
						this.maxEvents = Number(n);
						return true;
					},
					sbRequests: (route: string, withIds: boolean) => {
						const [method = "", path = ""] = String(route ?? "").split(" ");
						const list = route ? this.requests.filter((r) => r.method === method && r.path === path) : this.requests;
						return JSON.stringify(list.map((r) => (withIds ? r : { ...r, eventIds: undefined })));
					},
					sbStoredEventIds: () => JSON.stringify(this.storedEventIds),
					sbDsFail: (method: string, count: number, message: string) => {
						const store = dataStoresOf(vm);
						if (count > 0) store.fail({ method, count, message: message || undefined });
						else store.fail({ method, message: message || undefined });
						return true;
					},
					sbDsClearFailures: () => {
						dataStoresOf(vm).clearFailures();
						return true;
					},
					sbDsKeys: (store: string) => JSON.stringify(dataStoresOf(vm).keys(String(store))),
					sbDsGet: (store: string, key: string) =>
						JSON.stringify(dataStoresOf(vm).get(String(store), String(key)) ?? null),
					sbDsSet: (store: string, key: string, json: string) => {
						dataStoresOf(vm).set(String(store), String(key), JSON.parse(json));
						return true;
					},
					sbDsRequests: (store: string) =>
						JSON.stringify(
							dataStoresOf(vm)
								.log.filter((e) => e.store === store)
								.map((e) => ({ vm: e.vm, method: e.method, key: e.key ?? "", at: e.at, error: e.error ?? "" })),
						),
				};
			},
		};
	}
}
