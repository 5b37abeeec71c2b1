import { z } from "zod";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { batchSchema, MAX_EVENTS_PER_BATCH } from "../ingest/schema.js";
import { isDashboardPath } from "../middleware/security/index.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { buildOpenApiDocument, componentSchemas } from "./document.js";

type Doc = {
	openapi: string;
	paths: Record<string, Record<string, { responses: Record<string, Record<string, unknown>>; security?: unknown }>>;
	components: { schemas: Record<string, unknown> };
};

let t: TestApp;
beforeEach(async () => {
	t = await createTestApp();
});
afterEach(() => t.close());

function refs(value: unknown, found: string[] = []): string[] {
	if (Array.isArray(value)) value.forEach((v) => refs(v, found));
	else if (value && typeof value === "object") {
		for (const [key, v] of Object.entries(value)) {
			if (key === "$ref" && typeof v === "string") found.push(v);
			else refs(v, found);
		}
	}
	return found;
}

describe("GET /openapi.json", () => {
	it("serves an OpenAPI 3.1 document whose references all resolve", async () => {
		const res = await t.app.request("/openapi.json");
		expect(res.status).toBe(200);
		const doc = (await res.json()) as Doc;
		expect(doc.openapi).toBe("3.1.0");
		for (const target of refs(doc)) {
			expect(doc.components.schemas, target).toHaveProperty(target.replace("#/components/schemas/", ""));
		}
	});

	it("documents every route the app serves", async () => {
		const doc = buildOpenApiDocument() as Doc;
		const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
			Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replaceAll(/\{(\w+)\}/g, ":$1")}`),
		);
		// The docs page and the dashboard's pages and assets are HTML for browsers, not API operations.
		const served = t.app.routes
			.filter((r) => r.method !== "ALL" && !r.path.startsWith("/docs") && r.path !== "/openapi.json")
			.filter((r) => !isDashboardPath(r.path))
			.map((r) => `${r.method} ${r.path}`);
		expect([...new Set(served)].sort()).toEqual([...documented].sort());
	});

	it("generates the batch schema from the zod schema that validates batches", () => {
		const generated = componentSchemas().Batch as { properties: Record<string, unknown> };
		const direct = z.toJSONSchema(batchSchema, { target: "draft-2020-12", io: "input" }) as {
			properties: Record<string, unknown>;
		};
		expect(generated.properties.batchId).toEqual(direct.properties.batchId);
		expect(generated.properties.events).toMatchObject({
			items: { $ref: "#/components/schemas/Event" },
			maxItems: MAX_EVENTS_PER_BATCH,
		});
	});

	it("states for every error response whether it is retryable", () => {
		const doc = buildOpenApiDocument() as Doc;
		for (const [path, ops] of Object.entries(doc.paths)) {
			for (const [method, op] of Object.entries(ops)) {
				for (const [status, response] of Object.entries(op.responses)) {
					if (Number(status) >= 400)
						expect(response["x-retryable"], `${method} ${path} ${status}`).toBeTypeOf("boolean");
				}
				expect(op.security, `${method} ${path}`).toBeDefined();
			}
		}
		expect(doc.paths["/v1/batches"]?.post?.responses["429"]).toMatchObject({
			"x-retryable": true,
			headers: { "Retry-After": {} },
		});
	});
});

describe("the events routes", () => {
	type Parameter = { name: string; in: string; description?: string };
	const parameters = (path: string) =>
		((buildOpenApiDocument() as Doc).paths[path]?.get as unknown as { parameters: Parameter[] }).parameters.filter(
			(p) => p.in === "query",
		);

	it("describe every query parameter, with the unit of times", () => {
		const list = parameters("/v1/games/{gameId}/events");
		const exported = parameters("/v1/games/{gameId}/events/export");
		expect(list.map((p) => p.name)).toEqual(["batchId", "userId", "type", "name", "from", "to", "limit", "after"]);
		expect(exported.map((p) => p.name)).toEqual(["format", "userId", "type", "name", "from", "to"]);
		for (const p of [...list, ...exported]) expect(p.description, p.name).toMatch(/\w/);
		for (const p of [...list, ...exported].filter((p) => p.name === "from" || p.name === "to")) {
			expect(p.description).toContain("unix milliseconds");
		}
	});

	it("document the export's three media types", () => {
		const doc = buildOpenApiDocument() as Doc;
		const ok = doc.paths["/v1/games/{gameId}/events/export"]?.get?.responses["200"] as { content: object };
		expect(Object.keys(ok.content)).toEqual([
			"application/x-ndjson",
			"text/csv; charset=utf-8",
			"application/vnd.apache.parquet",
		]);
	});
});

describe("GET /docs", () => {
	it("serves a page and its script from the same origin, allowed by its CSP", async () => {
		const page = await t.app.request("/docs");
		expect(page.status).toBe(200);
		const html = await page.text();
		expect(html).toContain('<script src="/docs/app.js" defer></script>');
		expect(html).not.toMatch(/https?:\/\/(?!json-schema)/);
		expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
		const script = await t.app.request("/docs/app.js");
		expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
		expect(await script.text()).toContain('fetch("/openapi.json")');
	});
});

/**
 * Every property of every object schema in the components, as `Component.path.to.property`, that has no description
 * of its own (or, for a reference, on the component it points to).
 */
function undescribedProperties(schemas: Record<string, unknown>): string[] {
	const missing: string[] = [];
	const described = (node: Record<string, unknown>): boolean => {
		if (typeof node.description === "string" && node.description.trim() !== "") return true;
		if (typeof node.$ref === "string") {
			const target = schemas[node.$ref.replace("#/components/schemas/", "")] as Record<string, unknown> | undefined;
			return typeof target?.description === "string";
		}
		// A nullable or union member written as anyOf/oneOf: described when one of its branches is.
		const branches = [...((node.anyOf as unknown[]) ?? []), ...((node.oneOf as unknown[]) ?? [])];
		return branches.some((b) => b !== null && typeof b === "object" && described(b as Record<string, unknown>));
	};
	const walk = (node: unknown, at: string): void => {
		if (Array.isArray(node)) {
			node.forEach((child, i) => walk(child, `${at}[${i}]`));
			return;
		}
		if (node === null || typeof node !== "object") return;
		const record = node as Record<string, unknown>;
		if (record.properties && typeof record.properties === "object") {
			for (const [name, property] of Object.entries(record.properties as Record<string, unknown>)) {
				if (!described(property as Record<string, unknown>)) missing.push(`${at}.${name}`);
			}
		}
		for (const [key, child] of Object.entries(record)) {
			if (key === "properties") {
				for (const [name, property] of Object.entries(child as Record<string, unknown>))
					walk(property, `${at}.${name}`);
			} else if (typeof child === "object") walk(child, key === "items" ? `${at}[]` : at);
		}
	};
	for (const [id, schema] of Object.entries(schemas)) walk(schema, id);
	return missing;
}

describe("the document's schemas", () => {
	it("describe every property (its meaning and unit)", () => {
		expect(undescribedProperties(componentSchemas())).toEqual([]);
	});

	it("say what an exposure event is, and that times are unix milliseconds", () => {
		const event = componentSchemas().Event as { properties: Record<string, { description: string }> };
		expect(event.properties.time?.description).toContain("unix milliseconds");
		expect(event.properties.type?.description).toMatch(/`exposure`.*name = experiment key, props\.variation/);
		const doc = buildOpenApiDocument() as Doc & { paths: Record<string, { post?: { description?: string } }> };
		expect(doc.paths["/v1/batches"]?.post?.description).toMatch(/implausible_time/);
	});

	it("finds an undescribed property, also in nested objects and array items", () => {
		expect(
			undescribedProperties({
				A: { type: "object", properties: { ok: { type: "string", description: "x" }, bad: { type: "number" } } },
				B: {
					type: "object",
					properties: {
						list: {
							type: "array",
							description: "y",
							items: { type: "object", properties: { inner: { type: "string" } } },
						},
						ref: { $ref: "#/components/schemas/A" },
					},
				},
			}),
		).toEqual(["A.bad", "B.ref", "B.list[].inner"]);
	});
});

describe("the assembly of fragments", () => {
	it("refuses a path or a component id defined by two fragments", () => {
		const one = { paths: () => ({ "/x": { get: {} } }), components: { X: z.string() } };
		const two = { paths: () => ({ "/x": { post: {} } }) };
		expect(() => buildOpenApiDocument({ fragments: [one, two] })).toThrow(/"\/x" is in two fragments/);
		expect(() => componentSchemas([one, { components: { X: z.number() } }])).toThrow(/"X" is defined twice/);
	});
});
