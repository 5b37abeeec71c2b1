import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a {@link WebhookServer} received. */
export interface ReceivedRequest {
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	body: string;
}

/** How the server answers request number `index` (0-based); leave `res` alone to never answer. */
export type Responder = (req: ReceivedRequest, res: ServerResponse, index: number) => void;

export interface WebhookServer {
	/** Base URL, e.g. `http://127.0.0.1:54321`; any path is accepted. */
	url: string;
	requests: ReceivedRequest[];
	close(): Promise<void>;
}

/** Answers with `status`, optional headers and a body (objects as JSON). */
export function reply(status: number, headers: Record<string, string> = {}, body: unknown = ""): Responder {
	return (_req, res) => {
		const text = typeof body === "string" ? body : JSON.stringify(body);
		res.writeHead(status, { ...(typeof body === "string" ? {} : { "Content-Type": "application/json" }), ...headers });
		res.end(text);
	};
}

/** Answers the n-th request with the n-th responder, and every later one with the last. */
export function sequence(...responders: Responder[]): Responder {
	return (req, res, index) => responders[Math.min(index, responders.length - 1)]!(req, res, index);
}

/** Never answers (the request hangs until the client gives up). */
export const hang: Responder = () => undefined;

/**
 * A real HTTP server on 127.0.0.1 and a free port that records what webhooks receive; for tests.
 *
 * @example
 * const hook = await startWebhookServer(sequence(reply(500), reply(204)));
 * // … deliver to `${hook.url}/api/webhooks/1/token` …
 * expect(hook.requests).toHaveLength(2);
 * await hook.close();
 */
export async function startWebhookServer(respond: Responder = reply(204)): Promise<WebhookServer> {
	const requests: ReceivedRequest[] = [];
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (chunk: Buffer) => chunks.push(chunk));
		req.on("end", () => {
			const received: ReceivedRequest = {
				method: req.method ?? "",
				path: req.url ?? "",
				headers: req.headers,
				body: Buffer.concat(chunks).toString("utf8"),
			};
			const index = requests.push(received) - 1;
			respond(received, res, index);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
