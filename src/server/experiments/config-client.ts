// Keeps the game server's copy of the experiment config: `GET /v1/config` with a bearer token of scope `config`, at
// start and then every `refreshSeconds`, revalidated with If-None-Match so an unchanged config costs a 304 and no
// body. A failed, refused or unreadable answer never replaces what we have: the last good config keeps serving, and
// assignment (which only reads `current()`) never waits for the network.
import { HttpService } from "@rbxts/services";
import { backoffSeconds, headerValue, parseRetryAfter } from "../delivery/backoff";
import { RequestBudget } from "../delivery/request-budget";
import { isHttpDisabledError, MAX_RETRY_AFTER_SECONDS, TokenResult } from "../delivery/token-provider";
import { Warnings } from "../tracking/tracker";
import { parseConfig, ParsedConfig } from "./config";

/** What one fetch did. */
export type ConfigFetchOutcome =
	| { kind: "updated"; config: ParsedConfig }
	| { kind: "notModified" }
	| { kind: "failed"; message: string; retryAfter?: number; disabled?: boolean };

export interface ConfigClientDeps {
	/** `<endpoint>/v1/config`. */
	url: string;
	/** Seconds between fetches while all is well. */
	refreshSeconds: number;
	/** Tokens of scope `config` (a TokenProvider). */
	tokens: { get(): TokenResult; invalidate(): void };
	warnings: Warnings;
	/** Requests this client may send (config and token requests). */
	budget?: RequestBudget;
	/** @default HttpService:RequestAsync */
	request?: (request: RequestAsyncRequest) => RequestAsyncResponse;
	/** Uniform in [0, 1), for retry jitter. @default math.random */
	random?: () => number;
	debug?: boolean;
	/** Called with each new config (not on a 304), the initial one included. */
	onUpdate?: (config: ParsedConfig) => void;
	/** The config served until the backend's arrives (the `experimentConfig` option). */
	initial?: ParsedConfig;
	/** Never fetch: serve `initial` (or nothing) for good (a dry run, an unpublished place). */
	localOnly?: boolean;
	/** Whether requests may be made now (HTTP on, game key found: the SendGate delivery shares). */
	canRequest?: () => boolean;
}

/** First retry after a failed fetch, in seconds; doubles per failure up to `refreshSeconds`. */
const RETRY_BASE_SECONDS = 5;

export class ConfigClient {
	private config?: ParsedConfig;
	private etag?: string;
	private failures = 0;
	private running = false;
	private readonly request: (request: RequestAsyncRequest) => RequestAsyncResponse;
	private readonly random: () => number;

	constructor(private readonly deps: ConfigClientDeps) {
		this.request = deps.request ?? ((r) => HttpService.RequestAsync(r));
		this.random = deps.random ?? (() => math.random());
		this.config = deps.initial;
	}

	/** The last good config, or undefined before the first one arrived. Never yields. */
	current(): ParsedConfig | undefined {
		return this.config;
	}

	/** Fetches in the background: now, then every `refreshSeconds` (sooner after a failure, later on Retry-After). */
	start(): void {
		if (this.running) return;
		this.running = true;
		if (this.config) {
			if (this.config.skipped.size() > 0) {
				this.deps.warnings.warn(`experimentConfig: left out malformed ${this.config.skipped.join(", ")}`);
			}
			this.log(`local config: ${this.config.experiments.size()} experiments, ${this.config.flags.size()} flags`);
			this.deps.onUpdate?.(this.config);
		}
		if (this.deps.localOnly) return;
		task.spawn(() => {
			while (this.running) {
				const outcome = this.refresh();
				task.wait(this.delayAfter(outcome));
			}
		});
	}

	stop(): void {
		this.running = false;
	}

	/** Seconds until the next fetch. */
	private delayAfter(outcome: ConfigFetchOutcome): number {
		const every = this.deps.refreshSeconds;
		if (outcome.kind !== "failed") {
			this.failures = 0;
			return every;
		}
		this.failures += 1;
		if (outcome.disabled) return every;
		// Soon at first (a server starting during a blip should not wait a whole period), never busy-looping.
		const backoff = math.max(1, backoffSeconds(this.failures, RETRY_BASE_SECONDS, every, this.random));
		return math.max(backoff, outcome.retryAfter ?? 0);
	}

	/**
	 * One fetch. Yields; never throws.
	 * 1. a token of scope `config` (none → failed, keep the last config);
	 * 2. one request within the budget, with `If-None-Match` when we hold a config;
	 * 3. 304 → unchanged; 401 → a fresh token and one more try; another error → failed (Retry-After noted);
	 * 4. 200 → the body must decode and parse ({@link parseConfig}), else failed; then it becomes the config.
	 */
	refresh(): ConfigFetchOutcome {
		// HTTP off or no game key: delivery has said so once; nothing is tried until the gate opens.
		if (this.deps.canRequest && !this.deps.canRequest()) {
			return { kind: "failed", message: "requests are not possible", disabled: true };
		}
		let retried = false;
		while (true) {
			const token = this.deps.tokens.get();
			if (!token.ok) {
				return this.failed(`no token (${token.message})`, token.retryAfter, token.reason === "disabled");
			}
			const budget = this.deps.budget;
			if (budget) {
				const wait = budget.waitSeconds();
				if (wait > 0) return this.failed("request budget exhausted", wait);
				budget.spend();
			}
			const headers: Record<string, string> = { Authorization: `Bearer ${token.token}`, Accept: "application/json" };
			if (this.config && this.etag !== undefined) headers["If-None-Match"] = this.etag;
			const [ok, result] = pcall(() => this.request({ Url: this.deps.url, Method: "GET", Headers: headers }));
			if (!ok) {
				const message = tostring(result);
				return this.failed(message, undefined, isHttpDisabledError(message));
			}
			const response = result as RequestAsyncResponse;
			const status = response.StatusCode;
			if (status === 401) {
				this.deps.tokens.invalidate();
				if (retried) return this.failed("the backend refused a fresh token (401)");
				retried = true;
				continue;
			}
			if (status === 304 && this.config) {
				this.log("config unchanged (304)");
				return { kind: "notModified" };
			}
			if (status !== 200) {
				const retryAfter = parseRetryAfter(headerValue(response.Headers, "Retry-After"), MAX_RETRY_AFTER_SECONDS);
				return this.failed(`HTTP ${status}`, retryAfter);
			}
			return this.accept(response);
		}
	}

	private accept(response: RequestAsyncResponse): ConfigFetchOutcome {
		const [decoded, body] = pcall(() => HttpService.JSONDecode(response.Body));
		const parsed = decoded ? parseConfig(body) : undefined;
		if (!parsed) return this.failed("the config was not understood");
		if (parsed.skipped.size() > 0) {
			this.deps.warnings.warn(`experiment config: left out malformed ${parsed.skipped.join(", ")}`);
		}
		this.config = parsed;
		this.etag = headerValue(response.Headers, "ETag");
		this.log(`config updated: ${parsed.experiments.size()} experiments, ${parsed.flags.size()} flags`);
		this.deps.onUpdate?.(parsed);
		return { kind: "updated", config: parsed };
	}

	private failed(message: string, retryAfter?: number, disabled?: boolean): ConfigFetchOutcome {
		const keeping = this.config ? "serving the last good config" : "experiments serve control until one arrives";
		const text = `could not fetch the experiment config (${message}); ${keeping}`;
		// HTTP requests disabled (Studio, or the experience's setting) is the game's choice, and delivery says so once.
		if (disabled) this.log(text);
		else this.deps.warnings.warn(text);
		return { kind: "failed", message, retryAfter, disabled };
	}

	private log(message: string): void {
		if (this.deps.debug) print(`[Vantage] ${message}`);
	}
}
