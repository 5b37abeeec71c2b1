import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../openapi/document.js";
import { METRIC_NAMES } from "./engine.js";

type Schema = {
	description?: string;
	properties?: Record<string, Schema>;
	items?: Schema;
	anyOf?: Schema[];
	$ref?: string;
};

/** Every property of a schema, with its path, walking objects, arrays and unions. */
function properties(schema: Schema, path: string, out: [string, Schema][] = []): [string, Schema][] {
	for (const [name, child] of Object.entries(schema.properties ?? {})) {
		out.push([`${path}.${name}`, child]);
		properties(child, `${path}.${name}`, out);
	}
	if (schema.items) properties(schema.items, `${path}[]`, out);
	for (const option of schema.anyOf ?? []) properties(option, path, out);
	return out;
}

describe("the metrics API in the OpenAPI document", () => {
	const doc = buildOpenApiDocument() as {
		paths: Record<string, { get: { parameters: { name: string; description?: string }[] } }>;
		components: { schemas: Record<string, Schema> };
	};

	it("has a path per metric with every parameter described", () => {
		for (const metric of METRIC_NAMES) {
			const op = doc.paths[`/v1/games/{gameId}/metrics/${metric}`]?.get;
			expect(op, metric).toBeDefined();
			for (const p of op!.parameters.filter((x) => x.name !== "gameId")) {
				expect(p.description, `${metric} ${p.name}`).toBeTruthy();
			}
		}
	});

	it("describes every field of every metric's answer", () => {
		// "Metric" alone is the experiments' metric definition.
		const ids = Object.keys(doc.components.schemas).filter((id) => id.startsWith("Metric") && id !== "Metric");
		expect(ids).toHaveLength(METRIC_NAMES.length);
		const missing: string[] = [];
		for (const id of ids) {
			for (const [path, schema] of properties(doc.components.schemas[id]!, id)) {
				const described = schema.description ?? schema.anyOf?.find((o) => o.description)?.description;
				if (!described && !schema.items?.description) missing.push(path);
			}
		}
		expect(missing).toEqual([]);
	});
});
