// Layers and the global holdout in the OpenAPI document (routes: layer-routes.ts; schemas: layers.ts, holdout.ts).
import type { OpenApiFragment } from "../openapi/fragment.js";
import { holdoutResultsRequestSchema, holdoutSchema, putHoldoutSchema } from "./holdout.js";
import { createLayerSchema, layerSchema, placeRequestSchema, updateLayerSchema } from "./layers.js";

const LAYER_DESCRIPTION = `
A layer is a namespace of mutually exclusive experiments: an experiment joins it with \`namespace: { id, start, end }\`
(id = the layer's id) and takes the [start, end) slice of the layer's units (GrowthBook's namespace hash of the UserId),
so experiments with disjoint slices never share a player. The answer lists the slices of the layer's draft and running
experiments (stopped ones give theirs back) and the free ranges. Creating, re-slicing or starting an experiment whose
slice overlaps another draft or running experiment of the same layer is refused with 409 naming that experiment and
the free ranges.`;

const HOLDOUT_DESCRIPTION = `
The global holdout: \`percent\` of the game's players (FNV-1a hash version 2 of seed + UserId below percent / 100, the
same on every server) get control in every experiment (reason \`holdout\`) and log no experiment exposure. To measure
it, the SDK logs one exposure named \`$holdout\` per player and session, at their first running experiment, with
variation \`holdout\` or \`exposed\`: compare the two on any metric as an experiment with key \`$holdout\`. Flags are not
affected. While an experiment runs the holdout cannot change (409): a new percent or seed would move players into or
out of running experiments. It is served to game servers in \`GET /v1/config\` as \`holdout: { seed, percent }\`.`;

const HOLDOUT_RESULTS_DESCRIPTION = `
Compares the players held out of every experiment (control, variation \`holdout\`) with everyone else (treatment,
\`exposed\`) on any metric, from the \`$holdout\` marker exposures the SDK logs once per player and session: units are
players whose first marker is in the window (default: since the holdout's last change), counted as for an
experiment, with the sample-ratio check against the holdout's percent. Changes nothing: viewers may call it.`;

const layerIdParam = {
	name: "layerId",
	in: "path",
	required: true,
	description: "The layer's id (the namespace id its experiments name).",
	schema: { type: "string", maxLength: 64 },
};

/** This module's part of the OpenAPI document (listed in openapi/fragments.ts). */
export const layersOpenApi: OpenApiFragment = {
	components: {
		Layer: layerSchema,
		CreateLayerRequest: createLayerSchema,
		UpdateLayerRequest: updateLayerSchema,
		PlaceExperimentRequest: placeRequestSchema,
		Holdout: holdoutSchema,
		PutHoldoutRequest: putHoldoutSchema,
		HoldoutResultsRequest: holdoutResultsRequestSchema,
	},
	paths: (h) => {
		const unknown = h.problem("Unknown game or layer.", false);
		const invalid = h.problem("Invalid request: validation_failed lists every problem with its path.", false);
		const notJson = h.problem("Not application/json.", false);
		return {
			"/v1/admin/games/{gameId}/layers": {
				get: h.adminOperation(
					"listLayers",
					"A game's layers with their experiments' slices and free ranges (viewer)",
					{ "200": { description: "The layers, by id.", content: h.listOf("layers", "Layer") }, "404": unknown },
					{ parameters: [h.gameIdParam], description: LAYER_DESCRIPTION },
				),
				post: h.adminOperation(
					"createLayer",
					"Create a layer (analyst)",
					{
						"201": h.ok("The layer, with its allocation (experiments already naming its id appear at once).", "Layer"),
						"400": invalid,
						"404": h.problem("Unknown game.", false),
						"409": h.problem("The game already has a layer with this id.", false),
						"415": notJson,
					},
					{ parameters: [h.gameIdParam], requestBody: { required: true, content: h.json("CreateLayerRequest") } },
				),
			},
			"/v1/admin/games/{gameId}/layers/{layerId}": {
				get: h.adminOperation(
					"getLayer",
					"A layer with its allocation (viewer)",
					{ "200": h.ok("The layer.", "Layer"), "404": unknown },
					{ parameters: [h.gameIdParam, layerIdParam] },
				),
				patch: h.adminOperation(
					"updateLayer",
					"Rename or describe a layer (analyst)",
					{ "200": h.ok("The layer as updated.", "Layer"), "400": invalid, "404": unknown, "415": notJson },
					{
						parameters: [h.gameIdParam, layerIdParam],
						requestBody: { required: true, content: h.json("UpdateLayerRequest") },
					},
				),
				delete: h.adminOperation(
					"deleteLayer",
					"Delete a layer no draft or running experiment uses (analyst)",
					{
						"204": { description: "Deleted." },
						"404": unknown,
						"409": h.problem("Draft or running experiments use the layer (named in detail).", false),
					},
					{ parameters: [h.gameIdParam, layerIdParam] },
				),
			},
			"/v1/admin/games/{gameId}/layers/{layerId}/place": {
				post: h.adminOperation(
					"placeExperimentInLayer",
					"Put a draft experiment in the layer's first free slice of a given size (analyst)",
					{
						"200": h.ok("The experiment with its new namespace.", "Experiment"),
						"400": invalid,
						"404": h.problem("Unknown game, layer or experiment.", false),
						"409": h.problem("The experiment has started, or no free range of the layer is long enough.", false),
						"415": notJson,
					},
					{
						parameters: [h.gameIdParam, layerIdParam],
						requestBody: { required: true, content: h.json("PlaceExperimentRequest") },
					},
				),
			},
			"/v1/admin/games/{gameId}/holdout": {
				get: h.adminOperation(
					"getHoldout",
					"The game's global holdout (viewer)",
					{
						"200": h.ok("The holdout (percent 0 when never set).", "Holdout"),
						"404": h.problem("Unknown game.", false),
					},
					{ parameters: [h.gameIdParam], description: HOLDOUT_DESCRIPTION },
				),
				put: h.adminOperation(
					"putHoldout",
					"Set the game's global holdout; refused while experiments run (analyst)",
					{
						"200": h.ok("The holdout as set.", "Holdout"),
						"400": invalid,
						"404": h.problem("Unknown game.", false),
						"409": h.problem("Experiments are running: changing the holdout would move their players.", false),
						"415": notJson,
					},
					{ parameters: [h.gameIdParam], requestBody: { required: true, content: h.json("PutHoldoutRequest") } },
				),
			},
			"/v1/admin/games/{gameId}/holdout/results": {
				post: h.adminOperation(
					"holdoutResults",
					"The holdout against everyone else on a metric, from the $holdout markers (viewer)",
					{
						"200": h.ok(
							"Results as for an experiment with key $holdout: control holdout, treatment exposed.",
							"ExperimentResults",
						),
						"400": invalid,
						"404": h.problem("Unknown game.", false),
						"409": h.problem("The game has no holdout.", false),
						"415": notJson,
					},
					{
						parameters: [h.gameIdParam],
						requestBody: { required: true, content: h.json("HoldoutResultsRequest") },
						description: HOLDOUT_RESULTS_DESCRIPTION,
					},
				),
			},
		};
	},
};
