// Steady load from simulated game servers, speaking the SDK's wire protocol exactly (src/server/delivery): the game key
// exchanged for a token (POST /v1/oauth/token), events sealed into immutable gzip batches with a batchId, one batch in
// flight per server, a retry resending the same batch (same batchId and events, a new sentAt) after capped exponential
// backoff with jitter, or after Retry-After on 429/503, a 401 refreshing the token. Each server records every event id
// the backend acknowledged (accepted or duplicate in a 200 answer it received), so a fault test can check that what
// was acknowledged is stored once. Node is far cheaper per event than the Luau harness, so it carries the bulk of a
// fault suite's load next to a real SDK server in the harness (whose answers an AckRecordingProxy records).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { gunzipSync, gzipSync } from "node:zlib";

/** One event as the SDK sends it. */
export interface LoadEvent {
	id: string;
	time: number;
	userId: number;
	sessionId: string;
	type: string;
	name: string;
	props: Record<string, string | number | boolean>;
}

/** What happened to requests while one fault (a "phase") was on. */
export interface PhaseCounts {
	/** Batch requests sent (first attempts and retries). */
	requests: number;
	/** Of those, retries of a batch already sent. */
	retries: number;
	/** Answers by HTTP status, and `network` for a request that got no answer. */
	statuses: Record<string, number>;
	/** Events newly acknowledged in the phase. */
	acknowledged: number;
}

/**
 * The load's bookkeeping, shared by every game server of a test: the events sent, the ids the backend acknowledged,
 * and counts per phase (the test names the phase when it starts a fault).
 */
export class AckLedger {
	/** Every event sealed into a batch, by id. */
	readonly sent = new Map<string, LoadEvent>();
	/** Ids of events a 200 answer acknowledged (accepted or duplicate; not rejected). */
	readonly acknowledged = new Set<string>();
	/** Events a 200 answer rejected, by id, with the code. */
	readonly rejected = new Map<string, string>();
	readonly phases = new Map<string, PhaseCounts>();
	/** Distinct failed answers (status, problem code and detail) with how often each came. */
	readonly problems = new Map<string, number>();
	phase = "steady";

	counts(phase = this.phase): PhaseCounts {
		let counts = this.phases.get(phase);
		if (!counts) this.phases.set(phase, (counts = { requests: 0, retries: 0, statuses: {}, acknowledged: 0 }));
		return counts;
	}

	/** Counts one request of a batch and its answer (an HTTP status or `network`). */
	request(outcome: number | "network", retry: boolean): void {
		const counts = this.counts();
		counts.requests += 1;
		if (retry) counts.retries += 1;
		counts.statuses[String(outcome)] = (counts.statuses[String(outcome)] ?? 0) + 1;
	}

	/** Notes a failed answer's text (problem documents are short; HAProxy's pages are cut). */
	problem(status: number | "network", text: string): void {
		let key = `${status} ${text.replace(/\s+/g, " ").slice(0, 160)}`;
		try {
			const doc = JSON.parse(text) as { code?: string; detail?: string };
			key = `${status} ${doc.code}: ${doc.detail}`;
		} catch {
			// not a problem document
		}
		this.problems.set(key, (this.problems.get(key) ?? 0) + 1);
	}

	/** Records a 200 answer to `events`: all are acknowledged but those `rejected` names by index. */
	answer(events: readonly LoadEvent[], rejected: readonly { index: number; code: string }[]): void {
		const refused = new Map(rejected.map((r) => [r.index, r.code]));
		events.forEach((event, index) => {
			const code = refused.get(index);
			if (code !== undefined) {
				this.rejected.set(event.id, code);
				return;
			}
			if (!this.acknowledged.has(event.id)) this.counts().acknowledged += 1;
			this.acknowledged.add(event.id);
		});
	}

	/** A one-line-per-phase summary for the test's output. */
	summary(): string {
		const lines = [...this.phases].map(([phase, c]) => {
			const statuses = Object.entries(c.statuses)
				.map(([s, n]) => `${s}×${n}`)
				.join(" ");
			return `${phase.padEnd(18)} requests ${c.requests} (retries ${c.retries}) acknowledged ${c.acknowledged} [${statuses}]`;
		});
		return [
			`events sent ${this.sent.size}, acknowledged ${this.acknowledged.size}, rejected ${this.rejected.size}`,
			...lines,
			...[...this.problems].map(([problem, n]) => `  ${n}× ${problem}`),
		].join("\n");
	}
}

export interface SimulatedGameServerOptions {
	/** The backend (the load balancer). */
	url: string;
	gameKey: string;
	ledger: AckLedger;
	/** Distinguishes this server's ids, batch ids and sessions. */
	jobId: string;
	/** Players on the server; their UserIds are `firstUserId` and up. @default 20 */
	players?: number;
	firstUserId: number;
	/** Events each player sends a second. @default 1 */
	eventsPerPlayerSecond?: number;
	/** How often pending events are sealed into a batch. @default 1000 */
	flushMs?: number;
	/** Longest wait between retries. @default 4000 */
	maxBackoffMs?: number;
	/** Longest session before a player leaves and rejoins with a new session. @default 20000 */
	maxSessionMs?: number;
}

interface Batch {
	batchId: string;
	events: LoadEvent[];
}

interface PlayerState {
	userId: number;
	sessionId: string;
	startedAt: number;
	endsAt: number;
	steps: number;
}

/**
 * A game server's delivery as the SDK does it, fed by players that play sessions: `session_start`, a `step` custom
 * event and now and then a `purchase` (developer product, Robux) or `progression`, `session_end` with its duration.
 *
 * @example
 * const ledger = new AckLedger();
 * const server = new SimulatedGameServer({ url, gameKey, ledger, jobId: "a", firstUserId: 1000 });
 * server.start();
 * ...
 * await server.stop(); // no new events; resolves when everything sealed is acknowledged
 */
export class SimulatedGameServer {
	private readonly options: Required<SimulatedGameServerOptions>;
	private readonly pending: LoadEvent[] = [];
	private readonly batches: Batch[] = [];
	private readonly players: PlayerState[] = [];
	private token: { value: string; expiresAt: number } | undefined;
	private timer: NodeJS.Timeout | undefined;
	private sending: Promise<void> | undefined;
	private seq = 0;
	private batchSeq = 0;
	private stopping = false;
	private lastTick = Date.now();
	/** The last failed answer (status and body), for a failure message. */
	private lastAnswer = "none";

	constructor(options: SimulatedGameServerOptions) {
		this.options = {
			players: 20,
			eventsPerPlayerSecond: 1,
			flushMs: 1000,
			maxBackoffMs: 4000,
			maxSessionMs: 20_000,
			...options,
		};
	}

	start(): void {
		const now = Date.now();
		for (let i = 0; i < this.options.players; i++) this.players.push(this.join(this.options.firstUserId + i, now));
		this.lastTick = now;
		this.timer = setInterval(() => this.tick(), this.options.flushMs);
	}

	/** Stops playing (every player leaves, ending their session) and resolves once every batch is acknowledged. */
	async stop(timeoutMs = 120_000): Promise<void> {
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
		this.stopping = true;
		const now = Date.now();
		for (const player of this.players.splice(0)) this.leave(player, now);
		const deadline = Date.now() + timeoutMs;
		while (this.batches.length > 0 || this.pending.length > 0 || this.sending) {
			this.pump();
			if (Date.now() > deadline) {
				throw new Error(
					`${this.options.jobId}: ${this.batches.length} batches unsent; last answer: ${this.lastAnswer}`,
				);
			}
			await (this.sending ?? sleep(50));
		}
	}

	/** Events not acknowledged yet (pending, or in the batch in flight). */
	get backlog(): number {
		return this.pending.length + this.batches.reduce((n, b) => n + b.events.length, 0);
	}

	private nextId(now: number): string {
		// Time-ordered like the SDK's ids: the time first (fixed width), then the server and a counter.
		return `${now.toString(36).padStart(9, "0")}-${this.options.jobId}-${(this.seq++).toString(36)}`;
	}

	private event(player: PlayerState, now: number, type: string, name: string, props: LoadEvent["props"]): void {
		const event: LoadEvent = {
			id: this.nextId(now),
			time: now,
			userId: player.userId,
			sessionId: player.sessionId,
			type,
			name,
			props,
		};
		this.pending.push(event);
	}

	private join(userId: number, now: number): PlayerState {
		const player: PlayerState = {
			userId,
			sessionId: `${this.options.jobId}-${userId}-${now.toString(36)}`,
			startedAt: now,
			endsAt: now + 2000 + Math.floor(Math.random() * (this.options.maxSessionMs - 2000)),
			steps: 0,
		};
		this.event(player, now, "session_start", "player", { platform: userId % 2 === 0 ? "Windows" : "IOS" });
		return player;
	}

	private leave(player: PlayerState, now: number): void {
		const duration = Math.max(0, Math.round((now - player.startedAt) / 1000));
		this.event(player, now, "session_end", "player", { duration });
	}

	private tick(): void {
		const now = Date.now();
		const seconds = (now - this.lastTick) / 1000;
		this.lastTick = now;
		this.players.forEach((player, slot) => {
			const expected = seconds * this.options.eventsPerPlayerSecond;
			let count = Math.floor(expected) + (Math.random() < expected % 1 ? 1 : 0);
			while (count-- > 0) {
				player.steps += 1;
				const roll = Math.random();
				if (roll < 0.05) {
					const robux = [25, 49, 99][Math.floor(Math.random() * 3)]!;
					this.event(player, now, "purchase", "developer_product", { productId: 1000 + robux, robux });
				} else if (roll < 0.15) {
					this.event(player, now, "progression", "level-1", { status: "complete", attempt: 1 });
				} else {
					this.event(player, now, "custom", "step", { n: player.steps });
				}
			}
			if (now >= player.endsAt) {
				this.leave(player, now);
				this.players[slot] = this.join(player.userId, now + 1);
			}
		});
		this.pump();
	}

	/**
	 * Seals what is pending into one batch (at most {@link MAX_BATCH_EVENTS} events), immutable from here on. As in
	 * the SDK, events wait unsealed while a batch is in flight, so after an outage one batch carries what piled up.
	 */
	private seal(): void {
		if (this.pending.length === 0) return;
		const events = this.pending.splice(0, MAX_BATCH_EVENTS);
		for (const event of events) this.options.ledger.sent.set(event.id, event);
		this.batches.push({ batchId: `${this.options.jobId}-b${this.batchSeq++}`, events });
	}

	private pump(): void {
		if (this.sending) return;
		if (this.batches.length === 0) this.seal();
		if (this.batches.length === 0) return;
		this.sending = this.deliver(this.batches[0]!).finally(() => {
			this.batches.shift();
			this.sending = undefined;
			if (this.stopping || this.pending.length > 0) this.pump();
		});
	}

	/** Sends one batch until a 200 answers it: the same batch every time, as the SDK's retries do. */
	private async deliver(batch: Batch): Promise<void> {
		const ledger = this.options.ledger;
		for (let attempt = 0; ; attempt++) {
			let waitMs = backoffMs(attempt, this.options.maxBackoffMs);
			try {
				const auth = await this.authorization();
				const body = gzipSync(
					JSON.stringify({
						batchId: batch.batchId,
						sentAt: Date.now(),
						sdk: { name: "vantage-load", version: "0.1.0" },
						events: batch.events,
					}),
				);
				const res = await fetch(`${this.options.url}/v1/batches`, {
					method: "POST",
					headers: { Authorization: auth, "Content-Type": "application/json", "Content-Encoding": "gzip" },
					body,
					signal: AbortSignal.timeout(30_000),
				});
				const text = await res.text();
				ledger.request(res.status, attempt > 0);
				if (res.status !== 200) {
					this.lastAnswer = `HTTP ${res.status} ${text.slice(0, 300)}`;
					ledger.problem(res.status, text);
				}
				if (res.status === 200) {
					const answer = JSON.parse(text) as { rejected: { index: number; code: string }[] };
					ledger.answer(batch.events, answer.rejected);
					return;
				}
				if (res.status === 401) {
					this.token = undefined;
					waitMs = 0;
				} else if (res.status === 429 || res.status === 503) {
					const retryAfter = Number(res.headers.get("retry-after"));
					if (Number.isFinite(retryAfter) && retryAfter > 0) waitMs = Math.min(retryAfter * 1000, 60_000);
				} else if (res.status === 400 || res.status === 403 || res.status === 409 || res.status === 413) {
					// The SDK would drop or split such a batch; the load never builds one, so it is a bug to report.
					throw new FatalLoadError(`${batch.batchId}: HTTP ${res.status} ${text}`);
				}
			} catch (error) {
				if (error instanceof FatalLoadError) throw error;
				ledger.request("network", attempt > 0);
				ledger.problem("network", String(error instanceof Error ? (error.cause ?? error) : error));
				this.lastAnswer = String(error);
			}
			await sleep(waitMs);
		}
	}

	private async authorization(): Promise<string> {
		if (this.token && this.token.expiresAt > Date.now() + 30_000) return this.token.value;
		const res = await fetch(`${this.options.url}/v1/oauth/token`, {
			method: "POST",
			headers: {
				Authorization: `Bearer ${this.options.gameKey}`,
				"Content-Type": "application/x-www-form-urlencoded",
			},
			body: "grant_type=client_credentials&scope=ingest",
			signal: AbortSignal.timeout(30_000),
		});
		const text = await res.text();
		if (res.status !== 200) {
			this.options.ledger.request(res.status, false);
			throw new Error(`token: HTTP ${res.status} ${text}`);
		}
		const { access_token, expires_in } = JSON.parse(text) as { access_token: string; expires_in: number };
		this.token = { value: `Bearer ${access_token}`, expiresAt: Date.now() + expires_in * 1000 };
		return this.token.value;
	}
}

class FatalLoadError extends Error {}

/** Events in one batch at most (the backend takes 10,000; the SDK's default is far below). */
const MAX_BATCH_EVENTS = 2000;

/** Capped exponential backoff with jitter (the SDK's shape: 0.5 s doubling, half of it random). */
function backoffMs(attempt: number, maxMs: number): number {
	const base = Math.min(maxMs, 500 * 2 ** attempt);
	return base / 2 + Math.random() * (base / 2);
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------------- proxy

/**
 * A transparent HTTP proxy in front of the backend that reads what passes through: for each `POST …/batches` it
 * records the batch's events as sent and, when the backend answered 200, the ids it acknowledged, in `ledger`. A real
 * SDK (in the harness) pointed at it is then checked like the Node load.
 *
 * @example
 * const proxy = await startAckRecordingProxy(cluster.url, ledger);
 * // Vantage.start({ endpoint = proxy.url })
 * await proxy.close();
 */
export async function startAckRecordingProxy(
	target: string,
	ledger: AckLedger,
): Promise<{ url: string; close(): Promise<void> }> {
	// Batch ids seen before: a batch seen again is the SDK retrying it.
	const seen = new Set<string>();
	const server: Server = createServer((req, res) => {
		forward(req, res, target, ledger, seen).catch(() => {
			// The backend gave no answer (the load balancer itself gone): the client sees its connection fail.
			res.destroy();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	const port = typeof address === "object" && address ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}`,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

async function forward(
	req: IncomingMessage,
	res: ServerResponse,
	target: string,
	ledger: AckLedger,
	seen: Set<string>,
): Promise<void> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const body = Buffer.concat(chunks);
	const headers = new Headers();
	for (const [name, value] of Object.entries(req.headers)) {
		if (value === undefined || ["host", "content-length", "connection"].includes(name)) continue;
		headers.set(name, Array.isArray(value) ? value.join(", ") : value);
	}
	const isBatch = req.method === "POST" && /\/batches$/.test(req.url ?? "");
	let events: LoadEvent[] = [];
	let batchId = "";
	if (isBatch) {
		try {
			const json = req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
			const parsed = JSON.parse(json.toString("utf8")) as { batchId: string; events: LoadEvent[] };
			events = parsed.events;
			batchId = parsed.batchId;
		} catch {
			events = [];
		}
		for (const event of events) ledger.sent.set(event.id, event);
	}
	const retry = isBatch && seen.has(batchId);
	if (isBatch) seen.add(batchId);
	let answer: Response;
	try {
		answer = await fetch(`${target}${req.url ?? "/"}`, {
			method: req.method,
			headers,
			body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
			signal: AbortSignal.timeout(30_000),
		});
	} catch (error) {
		if (isBatch) ledger.request("network", retry);
		throw error;
	}
	const text = Buffer.from(await answer.arrayBuffer());
	if (isBatch) {
		ledger.request(answer.status, retry);
		if (answer.status !== 200) ledger.problem(answer.status, text.toString("utf8"));
		if (answer.status === 200) {
			const result = JSON.parse(text.toString("utf8")) as { rejected: { index: number; code: string }[] };
			ledger.answer(events, result.rejected);
		}
	}
	const out: Record<string, string> = {};
	answer.headers.forEach((value, name) => {
		// fetch inflated the body already; what it passes on is the plain bytes.
		if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(name)) out[name] = value;
	});
	res.writeHead(answer.status, out);
	res.end(text);
}
