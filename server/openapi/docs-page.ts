/**
 * A small self-contained API reference page: it fetches /openapi.json and renders every operation with its
 * parameters, schemas, responses and retry rule. No CDN and no inline script (the CSP allows only 'self').
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vantage API</title>
<link rel="stylesheet" href="/docs/app.css">
<script src="/docs/app.js" defer></script>
</head>
<body>
<header><h1>Vantage API</h1><p><a href="/openapi.json">openapi.json</a> (OpenAPI 3.1)</p></header>
<main id="app"><p>Loading…</p></main>
</body>
</html>
`;

export const DOCS_CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:0 16px;color:#1d2330}
header{border-bottom:1px solid #dde;margin-bottom:16px}h1{margin:16px 0 4px}
details{border:1px solid #dde;border-radius:6px;margin:8px 0;padding:6px 10px}summary{cursor:pointer}
.m{display:inline-block;min-width:56px;font-weight:700;font-family:monospace}.get{color:#0a6}.post{color:#06c}
.path{font-family:monospace}.dep{text-decoration:line-through}pre{background:#f5f6f8;padding:8px;overflow:auto;font-size:13px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #dde;padding:3px 8px;text-align:left;vertical-align:top}
.yes{color:#a60}.no{color:#888}code{background:#f5f6f8;padding:0 3px}`;

export const DOCS_JS = `"use strict";
(async () => {
	const root = document.getElementById("app");
	const el = (tag, props = {}, ...children) => {
		const node = document.createElement(tag);
		Object.assign(node, props);
		for (const child of children) node.append(child);
		return node;
	};
	let doc;
	try {
		doc = await (await fetch("/openapi.json")).json();
	} catch (error) {
		root.textContent = "Could not load /openapi.json: " + error;
		return;
	}
	const schemas = doc.components.schemas;
	const resolve = (schema, depth = 0) => {
		if (!schema || typeof schema !== "object" || depth > 6) return schema;
		if (schema.$ref) return resolve(schemas[schema.$ref.split("/").pop()], depth + 1);
		const out = Array.isArray(schema) ? [] : {};
		for (const [key, value] of Object.entries(schema)) out[key] = resolve(value, depth + 1);
		return out;
	};
	const pre = (value) => el("pre", { textContent: JSON.stringify(resolve(value), null, 2) });
	root.replaceChildren(el("section", {}, el("pre", { textContent: doc.info.description })));
	for (const [path, methods] of Object.entries(doc.paths)) {
		for (const [method, op] of Object.entries(methods)) {
			const summary = el(
				"summary",
				{},
				el("span", { className: "m " + method, textContent: method.toUpperCase() }),
				el("span", { className: "path" + (op.deprecated ? " dep" : ""), textContent: path }),
				" — " + (op.summary || ""),
			);
			const body = el("div");
			if (op.description) body.append(el("p", { textContent: op.description }));
			const security = (op.security || []).map((s) => Object.entries(s).map(([k, v]) => k + (v.length ? " (" + v.join(" ") + ")" : "")).join(" + "));
			body.append(el("p", { textContent: "Auth: " + (security.length ? security.join(" or ") : "none") }));
			if (op.parameters && op.parameters.length) {
				const table = el("table", {}, el("tr", {}, el("th", { textContent: "parameter" }), el("th", { textContent: "in" }), el("th", { textContent: "schema" })));
				for (const p of op.parameters) table.append(el("tr", {}, el("td", { textContent: p.name + (p.required ? " *" : "") }), el("td", { textContent: p.in }), el("td", {}, pre(p.schema))));
				body.append(table);
			}
			if (op.requestBody) {
				for (const [type, media] of Object.entries(op.requestBody.content)) body.append(el("h4", { textContent: "Request: " + type }), pre(media.schema));
			}
			const responses = el("table", {}, el("tr", {}, el("th", { textContent: "status" }), el("th", { textContent: "meaning" }), el("th", { textContent: "retry?" })));
			for (const [status, response] of Object.entries(op.responses)) {
				const retry = response["x-retryable"];
				responses.append(el("tr", {}, el("td", { textContent: status }), el("td", { textContent: response.description }), el("td", { className: retry ? "yes" : "no", textContent: retry === undefined ? "" : retry ? "yes" : "no" })));
			}
			body.append(el("h4", { textContent: "Responses" }), responses);
			const ok = Object.entries(op.responses).find(([s]) => s.startsWith("2"));
			if (ok && ok[1].content) body.append(pre(Object.values(ok[1].content)[0].schema));
			root.append(el("details", {}, summary, body));
		}
	}
})();
`;
