import type { z } from "zod";
import type { OpenApiHelpers } from "./helpers.js";

/**
 * One module's part of the OpenAPI document, kept beside its routes (`server/<module>/openapi.ts` or
 * `<area>-openapi.ts`) and listed once in fragments.ts.
 *
 * - `components`: the zod schemas the routes validate with (or answer with), by component id; they become JSON
 *   Schemas under `#/components/schemas/<id>`. Every property needs a `.describe()` with its unit (the document test
 *   checks), and ids must be unique across fragments.
 * - `paths`: the module's path items, built with the shared helpers; a path may appear in one fragment only.
 *
 * @example
 * export const widgetsOpenApi: OpenApiFragment = {
 * 	components: { Widget: widgetSchema },
 * 	paths: (h) => ({
 * 		"/v1/admin/games/{gameId}/widgets": {
 * 			get: h.adminOperation("listWidgets", "List widgets (viewer)", { "200": h.ok("Widgets.", "Widget") }, {
 * 				parameters: [h.gameIdParam],
 * 			}),
 * 		},
 * 	}),
 * };
 */
export interface OpenApiFragment {
	/** Component schemas by id. */
	components?: Record<string, z.ZodType>;
	/** Path items by OpenAPI path (`/v1/games/{gameId}/…`). */
	paths?: (h: OpenApiHelpers) => Record<string, unknown>;
}
