// The warehouse's admin API: how far the rollup job is behind, and a rebuild of one game's rollups from its raw
// events (the backfill after a fold bug, a metric change or an import). The work itself runs in the warehouse (a
// worker thread for database files), so these handlers only ask and answer.
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { parseGameId } from "../auth/provisioning.js";
import type { AccessRequirement } from "../auth/game-access.js";
import { NotFoundError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import type { Store } from "../store/types.js";
import type { WarehouseStatus } from "./service.js";

/** The answer of both routes; mirrors {@link WarehouseStatus}. */
export const warehouseStatusSchema = z
	.object({
		pendingBatches: z
			.number()
			.int()
			.min(0)
			.describe(
				"Stored batches whose events are not in the rollups yet. Metrics lag ingest by these; 0 when the job is caught up.",
			),
		rebuilding: z
			.number()
			.int()
			.min(0)
			.describe(
				"Games whose rollups are being rebuilt from raw events (a requested rebuild or a time-zone change). " +
					"Their metrics are partial until it reaches 0.",
			),
		foldedEvents: z
			.number()
			.int()
			.min(0)
			.describe(
				"Events the warehouse of this server process has folded into the rollups since it started (counts reset on restart).",
			),
	})
	.describe("Where the rollup job stands.") satisfies z.ZodType<WarehouseStatus>;

export interface WarehouseRoutesDeps {
	store: Store;
	/** Admin-token middleware for a minimum role. */
	requireRole: (role: AccessRequirement) => MiddlewareHandler<AppEnv>;
}

/**
 * The warehouse's admin routes, mounted at /v1/admin. Viewers see the status (no game data in it); only owners
 * rebuild, as a rebuild empties a game's dashboards until the job has refolded its raw events.
 *
 * - `GET /warehouse` — {@link WarehouseStatus}
 * - `POST /games/:gameId/warehouse/rebuild` — 202 with the status; the job does the refolding in the background
 *
 * @example
 * v1.route("/admin", warehouseRoutes({ store, requireRole }));
 */
export function warehouseRoutes(deps: WarehouseRoutesDeps): Hono<AppEnv> {
	const { store } = deps;
	const routes = new Hono<AppEnv>();

	// The instance's rollup job (every game's backlog at once): instance admins.
	routes.get("/warehouse", deps.requireRole("admin"), async (c) => c.json(await store.warehouse.status(), 200));

	routes.post("/games/:gameId/warehouse/rebuild", deps.requireRole("owner"), async (c) => {
		const gameId = parseGameId(c.req.param("gameId"));
		if (!(await store.getGame(gameId))) throw new NotFoundError(`Game "${gameId}" does not exist.`);
		// Only the reset happens now; refolding the raw events can take minutes, so the answer is "accepted".
		await store.warehouse.rebuild(gameId);
		return c.json(await store.warehouse.status(), 202);
	});

	return routes;
}
