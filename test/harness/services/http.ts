// Host half of the emulated HttpService (Luau half: ../lua/services/http.luau): real HTTP requests with fetch, the
// experience's secrets (kept on the host only, so Luau code can never read them) and a per-VM request log.
//
// Roblox behaviour followed (create.roblox.com/docs/reference/engine/classes/HttpService, shared/ROBLOX-LIMITS.md
// "HttpService" and "Secrets" rows):
// * RequestAsync throws on network errors and timeouts, never on HTTP error statuses; errors read "HttpError: <Enum>"
//   with Enum.HttpError names (ConnectFail, DnsResolve, Timedout, SslConnectFail, InvalidUrl, NetFail, ...).
// * Compress = Gzip gzips the body and sends Content-Encoding: gzip; response header names are lower case.
// * User-Agent and Roblox-Id are set by Roblox ("locked by Roblox"), Content-Length is computed from the body.
// * A Secret can only be used as the Url or a header value; the engine substitutes its value when sending.
// The request timeout is not documented; it is real (wall-clock) time, config `httpTimeout` seconds, default 30.
import { STATUS_CODES } from "node:http";
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { RobloxVm, ServicePlugin } from "../vm.js";

/** A Secret as the Luau side describes it: the value is looked up here, never sent to Luau. */
interface SecretRef {
	$secret: string;
	prefix: string;
	suffix: string;
}
type MaybeSecret = string | SecretRef;

interface RequestSpec {
	method: string;
	url: MaybeSecret;
	headers: Record<string, MaybeSecret>;
	compress: boolean;
	/** Virtual seconds at which the VM sent the request. */
	at: number;
	/** game.PlaceId, sent as Roblox-Id. */
	placeId: number;
}

/** One request as the harness saw it (secrets shown as Secret(name), never their values). */
export interface HttpLogEntry {
	/** Virtual seconds of the sending VM. */
	at: number;
	method: string;
	url: string;
	headers: Record<string, string>;
	/** Body size before compression, in bytes. */
	bodyBytes: number;
	/** Size on the wire (after gzip when compressed). */
	sentBytes: number;
	compressed: boolean;
	status?: number;
	error?: string;
	/** Real milliseconds the request took. */
	durationMs?: number;
}

interface HttpState {
	secrets: Record<string, string>;
	timeoutMs: number;
	log: HttpLogEntry[];
}

function stateOf(vm: RobloxVm): HttpState {
	let s = vm.data.get("http") as HttpState | undefined;
	if (!s) {
		s = { secrets: {}, timeoutMs: 30_000, log: [] };
		vm.data.set("http", s);
	}
	return s;
}

/** Every HTTP request this VM sent (or tried to send), oldest first. */
export function httpLog(vm: RobloxVm): HttpLogEntry[] {
	return stateOf(vm).log;
}

/** Requests sent in the `seconds` (virtual) before `now` (default: the VM's current virtual time). */
export async function httpRequestsWithin(vm: RobloxVm, seconds: number, now?: number): Promise<HttpLogEntry[]> {
	const t = now ?? (await vm.now());
	return stateOf(vm).log.filter((e) => e.at > t - seconds && e.at <= t);
}

/**
 * The most requests this VM sent within any 60 virtual seconds (a sliding window over the whole log), e.g. to
 * assert that the SDK stays under its own budget. Counts requests that failed too: they count against Roblox's.
 */
export function httpPeakPerMinute(vm: RobloxVm, seconds = 60): number {
	const times = stateOf(vm)
		.log.map((e) => e.at)
		.sort((a, b) => a - b);
	let peak = 0;
	for (let i = 0, j = 0; i < times.length; i++) {
		while (times[i] - times[j] >= seconds) j++;
		peak = Math.max(peak, i - j + 1);
	}
	return peak;
}

function isSecret(v: unknown): v is SecretRef {
	return typeof v === "object" && v !== null && typeof (v as SecretRef).$secret === "string";
}

function reveal(state: HttpState, v: MaybeSecret): string {
	if (!isSecret(v)) return v;
	const value = state.secrets[v.$secret];
	// GetSecret already checked the name; a secret removed since then fails like a missing one.
	if (value === undefined) throw new Error("Can't find secret with given key");
	return v.prefix + value + v.suffix;
}

function redact(v: MaybeSecret): string {
	return isSecret(v) ? `${v.prefix}Secret(${v.$secret})${v.suffix}` : v;
}

/** Maps a fetch failure to Roblox's "HttpError: <Enum.HttpError>" message. */
export function httpErrorMessage(err: unknown): string {
	const e = err as { name?: string; message?: string; cause?: { code?: string; name?: string; message?: string } };
	if (e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError" || e?.cause?.code === "UND_ERR_CONNECT_TIMEOUT") {
		return "HttpError: Timedout";
	}
	const code = e?.cause?.code ?? "";
	const message = `${e?.message ?? ""} ${e?.cause?.message ?? ""}`;
	if (code === "ECONNREFUSED") return "HttpError: ConnectFail";
	if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "HttpError: DnsResolve";
	if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return "HttpError: SslConnectFail";
	if (/redirect count exceeded/i.test(message)) return "HttpError: TooManyRedirects";
	if (code === "ERR_INVALID_URL" || /Invalid URL/i.test(message)) return "HttpError: InvalidUrl";
	if (code === "ECONNRESET" || code.startsWith("UND_ERR")) return "HttpError: NetFail";
	return "HttpError: Unknown";
}

async function send(vm: RobloxVm, spec: RequestSpec, body: string | undefined): Promise<unknown> {
	const state = stateOf(vm);
	const hasBody = typeof body === "string";
	const raw = hasBody ? Buffer.from(body, "utf8") : undefined;
	const payload = raw && spec.compress ? gzipSync(raw) : raw;
	const entry: HttpLogEntry = {
		at: spec.at,
		method: spec.method,
		url: redact(spec.url),
		headers: Object.fromEntries(Object.entries(spec.headers).map(([k, v]) => [k, redact(v)])),
		bodyBytes: raw?.length ?? 0,
		sentBytes: payload?.length ?? 0,
		compressed: Boolean(payload && spec.compress),
	};
	state.log.push(entry);
	const started = Date.now();
	try {
		const url = reveal(state, spec.url);
		let parsed: URL;
		try {
			parsed = new URL(url);
		} catch {
			throw new Error("HttpError: InvalidUrl");
		}
		// "Must use http or https protocols" (RequestAsync, Url field).
		if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("HttpError: InvalidUrl");
		const headers = new Headers();
		for (const [k, v] of Object.entries(spec.headers)) headers.set(k, reveal(state, v));
		// Set by the engine on every request ("User-Agent and Roblox-Id are locked by Roblox").
		headers.set("User-Agent", "Roblox/Linux");
		headers.set("Roblox-Id", String(spec.placeId ?? 0));
		if (entry.compressed) headers.set("Content-Encoding", "gzip");
		if (spec.method === "TRACE")
			throw new Error("HttpError: Unknown (the harness cannot send TRACE: fetch forbids it)");
		let res: Response;
		let text: string;
		try {
			const signal = AbortSignal.timeout(state.timeoutMs);
			res = await fetch(parsed, {
				method: spec.method,
				headers,
				// A Buffer body keeps fetch from adding a Content-Type of its own: RequestAsync sends only what the
				// script set ("RequestAsync() does not detect the format of body content").
				body: payload,
				redirect: "follow",
				signal,
			});
			text = spec.method === "HEAD" ? "" : await res.text();
		} catch (err) {
			throw new Error(httpErrorMessage(err));
		}
		const outHeaders: Record<string, string> = {};
		res.headers.forEach((value, name) => {
			outHeaders[name.toLowerCase()] = value;
		});
		entry.status = res.status;
		return {
			status: res.status,
			statusText: res.statusText || STATUS_CODES[res.status] || "",
			headers: JSON.stringify(outHeaders),
			body: text,
		};
	} catch (err) {
		entry.error = err instanceof Error ? err.message : String(err);
		throw err;
	} finally {
		entry.durationMs = Date.now() - started;
	}
}

export const httpPlugin: ServicePlugin = {
	name: "http",
	host: (vm) => ({
		// Called once by http.luau with the config values; the secrets stay here.
		httpInit: (secrets: unknown, timeoutSeconds: unknown) => {
			const state = stateOf(vm);
			if (secrets && typeof secrets === "object") {
				for (const [k, v] of Object.entries(secrets as Record<string, unknown>)) state.secrets[k] = String(v);
			}
			if (typeof timeoutSeconds === "number" && timeoutSeconds > 0) state.timeoutMs = timeoutSeconds * 1000;
			return true;
		},
		httpHasSecret: (name: string) => Object.hasOwn(stateOf(vm).secrets, String(name)),
		httpRequest: (specJson: string, body: string | null) => {
			const spec = JSON.parse(specJson) as RequestSpec;
			if (Array.isArray(spec.headers)) spec.headers = {}; // an empty Luau table encodes as []
			return vm.startIo(() => send(vm, spec, body ?? undefined));
		},
		httpGuid: () => randomUUID().toUpperCase(),
	}),
};
