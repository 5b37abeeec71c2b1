import { Hono } from "hono";
import type { AppEnv } from "../http/app-env.js";
import { DOCS_PATH } from "../middleware/security/index.js";
import { DOCS_CSS, DOCS_HTML, DOCS_JS } from "./docs-page.js";
import { buildOpenApiDocument } from "./document.js";

/**
 * `GET /openapi.json` and the docs page at `/docs`. Public: they describe the API, they hold no data.
 */
export function openApiRoutes(): Hono<AppEnv> {
	const routes = new Hono<AppEnv>();
	const document = JSON.stringify(buildOpenApiDocument());
	routes.get("/openapi.json", (c) =>
		c.body(document, 200, { "Content-Type": "application/json", "Cache-Control": "public, max-age=300" }),
	);
	routes.get(DOCS_PATH, (c) => c.html(DOCS_HTML));
	routes.get(`${DOCS_PATH}/app.js`, (c) => c.body(DOCS_JS, 200, { "Content-Type": "text/javascript; charset=utf-8" }));
	routes.get(`${DOCS_PATH}/app.css`, (c) => c.body(DOCS_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }));
	return routes;
}
