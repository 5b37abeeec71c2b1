// A game's predictions as the API serves them: training a run and storing it (the document apart from its ranked
// players, who are stored under their pseudonyms so an erasure removes them), and reading it back (the rankings
// filtered by consent again as they are read, so a withdrawal after the run takes a player out at once).
import { z } from "zod";
import { NotFoundError } from "../errors.js";
import type { ConsentKeys } from "../privacy/consent-records.js";
import type { PredictionPlayerRow, PredictionRecord, PredictionStore } from "../store/contracts.js";
import type { Store } from "../store/types.js";
import { playerChoices } from "./consent.js";
import { recommend, type ItemModel } from "./recommend.js";
import {
	trainGamePredictions,
	type PredictionDocument,
	type RankedPlayer,
	type RecommendationSection,
	type TrainOptions,
} from "./service.js";

/** The stored document: the run without its ranked players. */
export type StoredPredictionDocument = Omit<PredictionDocument, "churn" | "purchase" | "ltv"> & {
	churn: Omit<Extract<PredictionDocument["churn"], { status: "trained" }>, "atRisk"> | PredictionDocument["churn"];
	purchase:
		| Omit<Extract<PredictionDocument["purchase"], { status: "trained" }>, "likelyBuyers">
		| PredictionDocument["purchase"];
	ltv: Omit<Extract<PredictionDocument["ltv"], { status: "trained" }>, "top"> | PredictionDocument["ltv"];
};

interface PredictionStoreOwner {
	predictions: PredictionStore;
}

/** Splits a run into the stored document and its player rows. */
export function splitDocument(doc: PredictionDocument): {
	document: StoredPredictionDocument;
	players: PredictionPlayerRow[];
} {
	const players: PredictionPlayerRow[] = [];
	const ranked = (list: "churn" | "purchase", rows: RankedPlayer[]) =>
		rows.forEach((p, i) =>
			players.push({
				list,
				rank: i + 1,
				userId: p.userId,
				score: p.probability,
				details: JSON.stringify({ drivers: p.drivers }),
			}),
		);
	const document: StoredPredictionDocument = { ...doc };
	if (doc.churn.status === "trained") {
		const { atRisk, ...rest } = doc.churn;
		ranked("churn", atRisk);
		document.churn = rest;
	}
	if (doc.purchase.status === "trained") {
		const { likelyBuyers, ...rest } = doc.purchase;
		ranked("purchase", likelyBuyers);
		document.purchase = rest;
	}
	if (doc.ltv.status === "trained") {
		const { top, ...rest } = doc.ltv;
		top.forEach((p, i) =>
			players.push({
				list: "ltv",
				rank: i + 1,
				userId: p.userId,
				score: p.ltv30,
				details: JSON.stringify({ ltv90: p.ltv90 }),
			}),
		);
		document.ltv = rest;
	}
	return { document, players };
}

/**
 * Trains a game's models now and stores the run (replacing the previous one).
 *
 * @example
 * const doc = await runPredictions(store, "g1", Date.now());
 */
export async function runPredictions(
	store: Pick<Store, "listEvents" | "getGameSettings" | "consent"> & PredictionStoreOwner,
	gameId: string,
	now: number,
	options?: TrainOptions,
): Promise<PredictionDocument> {
	const doc = await trainGamePredictions(store, gameId, now, options);
	const { document, players } = splitDocument(doc);
	await store.predictions.put({ gameId, trainedAt: now, document: JSON.stringify(document) }, players);
	return doc;
}

/** The stored document of a game's latest run; NotFoundError (404) when none ran yet. */
export async function readPredictionDocument(
	store: PredictionStoreOwner,
	gameId: string,
): Promise<StoredPredictionDocument> {
	const record = await store.predictions.get(gameId);
	if (!record) {
		throw new NotFoundError(
			"No predictions yet for this game: they are trained daily, or now with POST …/predictions/train.",
		);
	}
	return JSON.parse(record.document) as StoredPredictionDocument;
}

export const predictionListSchema = z.enum(["churn", "purchase", "ltv"]).describe("Which ranking.");

export const predictionPlayersQuerySchema = z
	.object({
		list: predictionListSchema.default("churn"),
		limit: z.coerce.number().int().min(1).max(200).default(50).describe("Players returned, best first (1–200)."),
	})
	.strict();

export const rankedPlayerSchema = z.object({
	rank: z.number().int().describe("1 = the highest score."),
	userId: z.number().int().describe("The player's Roblox UserId."),
	score: z
		.number()
		.describe(
			"churn: probability of no event within 7 days; purchase: probability of a purchase within 7 days; ltv: expected Robux over 30 days.",
		),
	drivers: z
		.array(
			z.object({
				feature: z.string().describe("A model feature (see the model card)."),
				contribution: z.number().describe("Its contribution to this player's log-odds (positive raises the score)."),
			}),
		)
		.optional()
		.describe("churn and purchase: the features that drive this player's score most, strongest first."),
	ltv90: z
		.number()
		.nullable()
		.optional()
		.describe("ltv: expected Robux over 90 days (null without 180 days of history)."),
});

/**
 * One ranking of the latest run, with UserIds, without erased players (the store leaves them out) and without players
 * whose consent no longer allows analytics (a withdrawal since the run). Ranks stay those of the run.
 */
export async function readPredictionPlayers(
	store: PredictionStoreOwner & Pick<Store, "consent" | "getGameSettings">,
	gameId: string,
	list: PredictionPlayerRow["list"],
	limit: number,
	playerKeys?: ConsentKeys,
): Promise<z.infer<typeof rankedPlayerSchema>[]> {
	await readPredictionDocument(store, gameId);
	const rows = await store.predictions.players(gameId, list);
	const consent = await playerChoices(
		{ store, keys: playerKeys },
		gameId,
		rows.map((row) => row.userId),
	);
	const allowed = rows.filter((row) => consent.get(row.userId)?.analytics === true);
	return allowed.slice(0, limit).map((row) => {
		const details = JSON.parse(row.details) as { drivers?: RankedPlayer["drivers"]; ltv90?: number | null };
		return { rank: row.rank, userId: row.userId, score: row.score, ...details };
	});
}

export const recommendationsQuerySchema = z
	.object({
		items: z
			.string()
			.max(4000)
			.default("")
			.describe("Comma-separated items the player owns (e.g. developer_product:1001); empty for the most popular."),
		n: z.coerce.number().int().min(1).max(20).default(5).describe("Items returned (1–20)."),
	})
	.strict();

/** An ItemModel rebuilt from the stored neighbours (what the SDK gets in /v1/config). */
export function itemModelOf(section: RecommendationSection): ItemModel {
	return {
		neighbours: new Map(Object.entries(section.neighbours)),
		popular: section.popular.map((item, i) => ({ item, buyers: section.popular.length - i })),
		players: section.card.training.players,
		pairs: section.card.training.pairs,
	};
}

/**
 * Recommendations for a basket from the latest run's model; an empty list with the reason while there is no model
 * (no run yet, or too few purchases).
 */
export async function recommendFor(
	store: PredictionStoreOwner,
	gameId: string,
	owned: string[],
	n: number,
): Promise<{ items: { item: string; score: number; reason: "co-purchase" | "popular" }[]; unavailable?: string }> {
	const record = await store.predictions.get(gameId);
	if (!record)
		return {
			items: [],
			unavailable: "no predictions yet: they are trained daily, or now with POST …/predictions/train",
		};
	const doc = JSON.parse(record.document) as StoredPredictionDocument;
	if (doc.recommendations.status !== "trained") return { items: [], unavailable: doc.recommendations.reason };
	const model = itemModelOf(doc.recommendations);
	return { items: recommend(model, owned, n).map((r) => (r.reason === "popular" ? { ...r, score: 0 } : r)) };
}

/** Neighbours per item and items the SDK's config carries (a config is fetched by every server every few minutes). */
export const SDK_NEIGHBOURS_PER_ITEM = 8;
export const SDK_MAX_ITEMS = 300;

/**
 * The recommendations member of /v1/config from the latest run: the most bought items' neighbours (bounded), or
 * undefined before a model exists.
 *
 * @example
 * sdkRecommendations(await store.predictions.get("g1"))?.popular;
 */
export function sdkRecommendations(
	record: PredictionRecord | undefined,
): { neighbours: Record<string, [string, number][]>; popular: string[] } | undefined {
	if (!record) return undefined;
	const doc = JSON.parse(record.document) as StoredPredictionDocument;
	if (doc.recommendations.status !== "trained") return undefined;
	const section = doc.recommendations;
	const neighbours: Record<string, [string, number][]> = {};
	const items = [...section.popular, ...Object.keys(section.neighbours)];
	let count = 0;
	for (const item of items) {
		if (count >= SDK_MAX_ITEMS) break;
		const list = section.neighbours[item];
		if (!list || neighbours[item]) continue;
		// Six significant digits: the order is what matters, and the config's size (and ETag) stays stable.
		neighbours[item] = list.slice(0, SDK_NEIGHBOURS_PER_ITEM).map(([other, s]) => [other, Number(s.toPrecision(6))]);
		count++;
	}
	return { neighbours, popular: section.popular };
}

const KPI_NAMES: Record<string, string> = {
	dau: "Daily active players",
	revenue: "Revenue (Robux)",
	event_volume: "Events",
	error_rate: "Error rate",
	sdk_version_mix: "Sessions on the newest SDK",
};

function kpiText(kpi: string, value: number): string {
	return kpi === "error_rate" || kpi === "sdk_version_mix"
		? `${(100 * value).toFixed(2)}%`
		: Math.round(value).toLocaleString("en-US");
}

/**
 * The daily digest's anomaly section: the latest run's anomalous KPIs of that local day.
 *
 * @example
 * startDigests({ store, logger, clock, kpis, anomalies: digestAnomalySource(store) });
 */
export function digestAnomalySource(
	store: PredictionStoreOwner,
): (gameId: string, day: string) => Promise<{ kpi: string; message: string }[]> {
	return async (gameId, day) => {
		const record = await store.predictions.get(gameId);
		if (!record) return [];
		const doc = JSON.parse(record.document) as StoredPredictionDocument;
		if (doc.anomalies.status !== "trained") return [];
		return doc.anomalies.alerts
			.filter((a) => a.date === day)
			.map((a) => {
				const kpi = KPI_NAMES[a.kpi] ?? a.kpi;
				const way = a.direction === "up" ? "unusually high" : "unusually low";
				return {
					kpi,
					message: `${kpi}: ${kpiText(a.kpi, a.value)}, expected about ${kpiText(a.kpi, a.expected)} (${way}, z = ${a.score.toFixed(1)})`,
				};
			});
	};
}
