import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../http/app-env.js";
import type { Logger } from "../../logger.js";

export interface RequestLoggerOptions {
	logger: Logger;
	/** Monotonic milliseconds for durations. @default performance.now */
	now?: () => number;
}

/**
 * Writes one line per request after the response is known:
 * `{time, level, msg: "request", requestId, method, path, status, durationMs}`.
 * 5xx are logged at error level, everything else at info. The query string is left out: it can carry user ids.
 * Must run after the request-id middleware and sees the status the app's `onError` produced.
 *
 * @example
 * app.use(requestId(), requestLogger({ logger }));
 */
export function requestLogger(options: RequestLoggerOptions): MiddlewareHandler<AppEnv> {
	const now = options.now ?? (() => performance.now());
	return async (c, next) => {
		const start = now();
		await next();
		const status = c.res.status;
		const fields = {
			requestId: c.get("requestId"),
			method: c.req.method,
			path: c.req.path,
			status,
			durationMs: Math.round((now() - start) * 1000) / 1000,
		};
		if (status >= 500) options.logger.error("request", fields);
		else options.logger.info("request", fields);
	};
}
