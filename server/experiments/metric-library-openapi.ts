// The metric library in the OpenAPI document (routes: metric-library-routes.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import {
	createLibraryMetricSchema,
	libraryMetricSchema,
	libraryMetricVersionQuerySchema,
	listLibraryMetricsQuerySchema,
	updateLibraryMetricSchema,
} from "./metric-library.js";
import { libraryReferenceSchema } from "./metric-reference.js";

const LIBRARY_DESCRIPTION = `
A game's reusable metric definitions. Creating a metric makes version 1; every change (PATCH) makes a new, immutable
version, and older versions stay readable (\`?version=\`, \`/versions\`). Archiving hides a metric from new
experiments; it stays readable, and experiments already using it keep it. Keys are unique per game, archived ones
included.

Experiments pick library metrics in \`primaryMetric\` and \`guardrailMetrics\` with \`{ "library": "<key>" }\` (a draft
follows the latest version; starting the experiment pins the version current then, so later edits do not change a
running experiment's results) or \`{ "library": "<key>", "version": 2 }\` (pinned at once). The experiment answers
such a metric as its definition with \`library: { key, version, pinned }\`, and results name the same.
`;

const keyParam = {
	name: "key",
	in: "path",
	required: true,
	description: "The library metric's key.",
	schema: { type: "string", maxLength: 64 },
};

export const metricLibraryOpenApi: OpenApiFragment = {
	components: {
		LibraryMetric: libraryMetricSchema,
		CreateLibraryMetricRequest: createLibraryMetricSchema,
		UpdateLibraryMetricRequest: updateLibraryMetricSchema,
		LibraryMetricReference: libraryReferenceSchema,
	},
	paths: (h) => {
		const gameAndKey = [h.gameIdParam, keyParam];
		return {
			"/v1/admin/games/{gameId}/metric-library": {
				get: h.adminOperation(
					"listLibraryMetrics",
					"The game's metric library: the latest version of each metric (viewer)",
					{
						"200": { description: "By key.", content: h.listOf("metrics", "LibraryMetric") },
						"400": h.problem("Invalid query.", false),
						"404": h.problem("Unknown game.", false),
					},
					{
						description: LIBRARY_DESCRIPTION,
						parameters: [h.gameIdParam, ...h.queryParameters(listLibraryMetricsQuerySchema)],
					},
				),
				post: h.adminOperation(
					"createLibraryMetric",
					"Add a metric to the library, as version 1 (analyst)",
					{
						"201": h.ok("Created.", "LibraryMetric"),
						"400": h.problem("Invalid definition (validation_failed lists every problem).", false),
						"404": h.problem("Unknown game.", false),
						"409": h.problem("The key is taken in this game's library (archived metrics keep theirs).", false),
					},
					{
						parameters: [h.gameIdParam],
						requestBody: { required: true, content: h.json("CreateLibraryMetricRequest") },
					},
				),
			},
			"/v1/admin/games/{gameId}/metric-library/{key}": {
				get: h.adminOperation(
					"getLibraryMetric",
					"One library metric: its latest version, or the version asked for (viewer)",
					{
						"200": h.ok("The version.", "LibraryMetric"),
						"400": h.problem("Invalid key or version.", false),
						"404": h.problem("Unknown game, metric or version.", false),
					},
					{ parameters: [...gameAndKey, ...h.queryParameters(libraryMetricVersionQuerySchema)] },
				),
				patch: h.adminOperation(
					"updateLibraryMetric",
					"Change a library metric: a new version (the same definition and role again changes nothing) (analyst)",
					{
						"200": h.ok("The latest version after the change.", "LibraryMetric"),
						"400": h.problem("Invalid definition, or a definition with another key.", false),
						"404": h.problem("Unknown game or metric.", false),
						"409": h.problem(
							"The metric is archived, or changed since baseVersion (or concurrently): read it again.",
							false,
						),
					},
					{ parameters: gameAndKey, requestBody: { required: true, content: h.json("UpdateLibraryMetricRequest") } },
				),
			},
			"/v1/admin/games/{gameId}/metric-library/{key}/versions": {
				get: h.adminOperation(
					"listLibraryMetricVersions",
					"Every version of a library metric, oldest first (viewer)",
					{
						"200": { description: "Oldest first.", content: h.listOf("versions", "LibraryMetric") },
						"400": h.problem("Invalid key.", false),
						"404": h.problem("Unknown game or metric.", false),
					},
					{ parameters: gameAndKey },
				),
			},
			"/v1/admin/games/{gameId}/metric-library/{key}/archive": {
				post: h.adminOperation(
					"archiveLibraryMetric",
					"Archive a library metric: new experiments cannot pick it; every version stays readable (analyst)",
					{
						"200": h.ok("The latest version, archived.", "LibraryMetric"),
						"400": h.problem("Invalid key.", false),
						"404": h.problem("Unknown game or metric.", false),
						"409": h.problem("Already archived.", false),
					},
					{ parameters: gameAndKey },
				),
			},
		};
	},
};
