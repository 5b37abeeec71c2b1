// The rollup warehouse's status and rebuild in the OpenAPI document (routes: admin-routes.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import { warehouseStatusSchema } from "./admin-routes.js";

export const warehouseOpenApi: OpenApiFragment = {
	components: { WarehouseStatus: warehouseStatusSchema },
	paths: (h) => ({
		"/v1/admin/warehouse": {
			get: h.adminOperation("getWarehouseStatus", "Where the rollup job stands: pending batches, rebuilds (viewer)", {
				"200": h.ok("The warehouse's status.", "WarehouseStatus"),
			}),
		},
		"/v1/admin/games/{gameId}/warehouse/rebuild": {
			post: h.adminOperation(
				"rebuildWarehouse",
				"Clear a game's rollups and refold them from its raw events in the background (owner)",
				{
					"202": h.ok(
						"The rollups are cleared and the rebuild is queued; poll GET /v1/admin/warehouse until `rebuilding` " +
							"is 0. Until then the game's metrics are partial. Days whose raw events were purged (rawRetentionDays) " +
							"cannot be refolded and stay empty.",
						"WarehouseStatus",
					),
					"400": h.problem("Invalid game id.", false),
					"404": h.problem("Unknown game.", false),
				},
				{ parameters: [h.gameIdParam] },
			),
		},
	}),
};
