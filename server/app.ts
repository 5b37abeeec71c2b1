import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Config } from "./config.js";
import { InternalError, NotFoundError, ProblemError, ServiceUnavailableError, codeForStatus } from "./errors.js";
import type { AppEnv } from "./http/app-env.js";
import { problemResponse } from "./http/problem.js";
import { ingestRoutes } from "./ingest/routes.js";
import type { Logger } from "./logger.js";
import { requestId } from "./middleware/request-id/index.js";
import { requestLogger } from "./middleware/request-logger/index.js";
import type { Store } from "./store/types.js";

export interface AppDeps {
	store: Store;
	config: Config;
	logger: Logger;
	/** Server time in unix ms (tests pin it). @default Date.now */
	clock?: () => number;
	/** How long /readyz waits for the store before answering 503. @default 2000 */
	readinessTimeoutMs?: number;
}

/**
 * Builds the HTTP app. Does no I/O: everything it touches arrives in `deps`, so tests call `app.request()`.
 *
 * @example
 * const app = createApp({ store: openSqliteStore({ path: ":memory:" }), config: loadConfig({}), logger });
 * const res = await app.request("/healthz");
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
	const { store, config, logger } = deps;
	const clock = deps.clock ?? Date.now;
	const app = new Hono<AppEnv>();

	app.use(requestId(), requestLogger({ logger }));

	app.get("/healthz", (c) => c.json({ status: "ok" }));

	app.get("/readyz", async (c) => {
		try {
			await withTimeout(store.ping(), deps.readinessTimeoutMs ?? 2000);
		} catch (error) {
			logger.warn("store not ready", { requestId: c.get("requestId"), error });
			throw new ServiceUnavailableError("The store is not reachable.");
		}
		return c.json({ status: "ok" });
	});

	const v1 = new Hono<AppEnv>();
	// Authentication goes here, before the routes, e.g. `v1.use("/games/*", requireGameToken(...))`.
	v1.route("/", ingestRoutes({ store, config, clock }));
	app.route("/v1", v1);

	app.notFound((c) => problemResponse(c, withRequestId(new NotFoundError().toProblem(c.req.path), c)));

	app.onError((error, c) => {
		const { problem, headers } = toProblem(error);
		if (problem.status >= 500) {
			logger.error("unhandled error", { requestId: c.get("requestId"), path: c.req.path, error });
		}
		return problemResponse(c, withRequestId(problem.toProblem(c.req.path), c), headers);
	});

	return app;
}

// Every failure leaves as one shape. HTTPException comes from Hono and third-party middleware; its headers
// (WWW-Authenticate, Retry-After) are kept, its body is replaced.
function toProblem(error: unknown): { problem: ProblemError; headers: Headers } {
	if (error instanceof ProblemError) return { problem: error, headers: new Headers() };
	if (error instanceof HTTPException) {
		const status = error.status;
		const code = codeForStatus(status);
		const headers = new Headers(error.res?.headers);
		headers.delete("content-type");
		headers.delete("content-length");
		if (status >= 500) return { problem: new InternalError(), headers };
		const title = code.replaceAll("_", " ").replace(/^./, (ch) => ch.toUpperCase());
		return { problem: new ProblemError(status, code, title, error.message || title), headers };
	}
	return { problem: new InternalError(), headers: new Headers() };
}

function withRequestId<T extends object>(problem: T, c: Context<AppEnv>): T & { requestId: string } {
	return { ...problem, requestId: c.get("requestId") };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
