// The daily digest's test delivery in the OpenAPI document (routes: routes.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import { testDigestResultSchema } from "./routes.js";

export const digestOpenApi: OpenApiFragment = {
	components: { TestDigestResult: testDigestResultSchema },
	paths: (h) => ({
		"/v1/admin/games/{gameId}/digest/test": {
			post: h.adminOperation(
				"testDigest",
				"Post yesterday's daily digest to the game's webhook now, marked as a test, in one attempt (owner)",
				{
					"200": h.ok(
						"What the webhook did; a refusal is an outcome here, not an error. The day's scheduled digest is not affected.",
						"TestDigestResult",
					),
					"404": h.problem("Unknown game.", false),
					"409": h.problem("The game has no digest webhook: set digestWebhookUrl first.", false),
				},
				{ parameters: [h.gameIdParam] },
			),
		},
	}),
};
