// Shapes of the JSON the dashboard reads. The metric answers come from the very zod schemas the server documents its
// API with (type-only imports: nothing of the server ends up in the bundle), so a changed field fails the type check.
import type { z } from "zod";
import type { activeUsersSchema, overviewSchema, revenueSchema, sessionsSchema } from "../../server/metrics/schemas.js";
import type { AdminRole } from "../../server/auth/roles.js";

export type ActiveUsers = z.infer<typeof activeUsersSchema>;
export type Sessions = z.infer<typeof sessionsSchema>;
export type Revenue = z.infer<typeof revenueSchema>;
export type Overview = z.infer<typeof overviewSchema>;
export type OverviewKpi = Overview["segments"][number]["kpis"][number];
export type KpiUnit = OverviewKpi["unit"];

/** GET /v1/admin/games */
export interface GamesAnswer {
	/** Only the games the user has a role on, each with that role (owner for instance admins). */
	games: { id: string; name: string; createdAt: string; role: AdminRole; sdk?: GameSdk }[];
}

/** A game's `sdk` in GET /v1/admin/games: the SDK versions its servers' batches carried in the last 24 hours. */
export interface GameSdk {
	latest: string;
	versions: { name: string; version: string; firstSeenAt: string; lastSeenAt: string; outdated: boolean }[];
	outdated: boolean;
	since: string;
}

/** GET /v1/admin/games/{id}/settings (the fields the dashboard uses). */
export interface GameSettingsAnswer {
	gameId: string;
	timeZone: string;
}

/** GET /v1/admin/games/{id}/experiments (the fields the dashboard uses). */
export interface ExperimentsAnswer {
	experiments: { key: string; status: string }[];
}
