// A game's settings in the OpenAPI document (routes: routes.ts; schemas: settings.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import { gameSettingsSchema, updateGameSettingsSchema } from "./settings.js";

export const settingsOpenApi: OpenApiFragment = {
	components: { GameSettings: gameSettingsSchema, UpdateGameSettingsRequest: updateGameSettingsSchema },
	paths: (h) => ({
		"/v1/admin/games/{gameId}/settings": {
			get: h.adminOperation(
				"getGameSettings",
				"A game's settings: time zone, raw-event retention, daily digest, client clock trust (viewer)",
				{
					"200": h.ok("The settings (the defaults if never changed).", "GameSettings"),
					"404": h.problem("Unknown game.", false),
				},
				{ parameters: [h.gameIdParam] },
			),
			patch: h.adminOperation(
				"updateGameSettings",
				"Change a game's settings; members left out keep their value (owner)",
				{
					"200": h.ok("The settings as updated.", "GameSettings"),
					"400": h.problem(
						"Invalid settings: an unknown time zone, a URL that is not http(s) (or is the masked value), a value out of range, or an unknown member.",
						false,
					),
					"404": h.problem("Unknown game.", false),
					"415": h.problem("Not application/json.", false),
				},
				{ parameters: [h.gameIdParam], requestBody: { required: true, content: h.json("UpdateGameSettingsRequest") } },
			),
		},
	}),
};
