// Training a game's predictive models from its stored events, and the document the API, the dashboard, the SDK's
// config and the digest read: model cards (features, training window, held-out metrics, baseline, training date),
// the players most at risk of churning with the features driving each score, likely buyers, predicted LTV, the
// shop's item-to-item recommendations, and KPI anomalies.
//
// Data and consent: events are read through the store contract (listEvents, so every engine serves it), and the
// backend itself decides whose events each model may use (consent.ts), from every player's latest consent record
// (store.consent.latestRecords, opened with the player's key); a player without one allowed what the SDK's gate sent
// (consent.ts NO_RECORD). The gate stops a player's events when they refuse, but what it sent before is stored.
// - churn, purchase and LTV (training rows, scores, rankings): only players who allow analytics;
// - the co-purchase recommendation model: only the baskets of players who allow personalization;
// - KPI anomalies: every stored event, as the warehouse's KPIs count them (daily totals, no player is ranked).
// Each card's `training.excludedForConsent` says how many players its model left out. Erased players are gone: their
// events are deleted and listEvents leaves out a pseudonym the vault no longer resolves; their key is shredded, so a
// record still read cannot be opened and allows nothing. Rankings are stored per run and filtered again when read
// (predictions.ts), so a withdrawal or an erasure after the run takes players out of them at once.
import type { ConsentKeys } from "../privacy/consent-records.js";
import type { Store, StoredEvent } from "../store/types.js";
import { localDayFn } from "../warehouse/time-zone.js";
import { detectAnomalies, type AnomalyPoint, type KpiScale } from "./anomaly.js";
import { scoreChurn, trainChurnModel, type ChurnModelCard, type ChurnScore } from "./churn.js";
import { playerChoices } from "./consent.js";
import { allPlayerFeatures, featureVector, groupByPlayer, type FeatureEvent } from "./features.js";
import { predictLtv, trainLtvModel, type LtvModelCard } from "./ltv.js";
import { trainPurchasePropensity, type PurchaseModelCard } from "./purchase.js";
import { baskets, evaluateRecommendations, trainItemModel } from "./recommend.js";

const DAY_MS = 86_400_000;

/** How far back training reads (the 90-day LTV needs 180 days of labels and features before them). */
export const PREDICTION_HISTORY_DAYS = 200;
/** Players listed per ranking (at risk, likely buyers, top LTV). */
export const RANKED_PLAYERS = 200;
/** Neighbours served per item, and items served, in the SDK's config. */
export const NEIGHBOURS_PER_ITEM = 10;
export const MAX_ITEMS = 500;

/** Why a model has no result this time. */
export interface ModelUnavailable {
	status: "insufficient_data";
	reason: string;
}

export interface RankedPlayer {
	userId: number;
	probability: number;
	drivers: { feature: string; contribution: number }[];
}

/** A model card with how many players with events its model left out because their consent does not allow it. */
export type ConsentCard<C extends { training: object }> = C & {
	training: C["training"] & { excludedForConsent: number };
};

function withExcluded<C extends { training: object }>(card: C, excludedForConsent: number): ConsentCard<C> {
	return { ...card, training: { ...card.training, excludedForConsent } };
}

export interface ChurnSection {
	status: "trained";
	card: ConsentCard<ChurnModelCard>;
	/** Active players (an event within the model's activeWithinDays) scored at training time. */
	scored: number;
	/** The most at-risk, highest probability first. */
	atRisk: RankedPlayer[];
}

export interface PurchaseSection {
	status: "trained";
	card: ConsentCard<PurchaseModelCard>;
	scored: number;
	likelyBuyers: RankedPlayer[];
}

export interface LtvSection {
	status: "trained";
	cards: ConsentCard<LtvModelCard>[];
	scored: number;
	/** Highest expected 30-day spend first; `ltv90` null when the 90-day model could not be trained. */
	top: { userId: number; ltv30: number; ltv90: number | null }[];
}

export interface RecommendationCard {
	model: "recommendations";
	method: string;
	n: number;
	/** excludedForConsent: buyers left out because they do not allow personalization. */
	training: { players: number; items: number; pairs: number; excludedForConsent: number };
	heldOut: { players: number; hitRate: number };
	baseline: { name: string; hitRate: number };
	trainedAt: string;
}

export interface RecommendationSection {
	status: "trained";
	card: RecommendationCard;
	/** item → its most similar items, best first, with the similarity. */
	neighbours: Record<string, [string, number][]>;
	/** Items by distinct buyers, most bought first. */
	popular: string[];
}

export interface KpiSeries {
	kpi: string;
	scale: KpiScale;
	/** The last 56 days judged (local days of the game, YYYY-MM-DD). */
	days: (Omit<AnomalyPoint, "index"> & { date: string })[];
}

export interface AnomalySection {
	status: "trained";
	kpis: KpiSeries[];
	/** Anomalous days of the last 7 days, newest first. */
	alerts: { kpi: string; date: string; value: number; expected: number; direction: "up" | "down"; score: number }[];
}

/** Everything one training run produced for a game. */
export interface PredictionDocument {
	gameId: string;
	trainedAt: number;
	/**
	 * Events read and the window they came from; `excludedForConsent`: players with events whose consent does not allow
	 * analytics (churn, purchase, LTV) or personalization (recommendations, counted among buyers).
	 */
	data: {
		events: number;
		players: number;
		from: string;
		to: string;
		truncated: boolean;
		excludedForConsent: { analytics: number; personalization: number };
	};
	churn: ChurnSection | ModelUnavailable;
	purchase: PurchaseSection | ModelUnavailable;
	ltv: LtvSection | ModelUnavailable;
	recommendations: RecommendationSection | ModelUnavailable;
	anomalies: AnomalySection | ModelUnavailable;
}

export interface TrainOptions {
	/** Most events read (newest history kept within the window); past it training uses what it read. @default 5_000_000 */
	maxEvents?: number;
	/** Page size of the event reads. @default 10_000 */
	pageSize?: number;
	/**
	 * Opens players' consent records (the server's player keys). @default none: a player with a record is then left
	 * out of every model (their choice cannot be read); players without one are used (the SDK's gate let their events through).
	 */
	playerKeys?: ConsentKeys;
}

/**
 * Reads a game's events in [from, to) through the store contract, oldest id first, at most `max`.
 *
 * @example
 * const { events } = await readEvents(store, "g1", now - 30 * DAY, now, 1_000_000);
 */
export async function readEvents(
	store: Pick<Store, "listEvents">,
	gameId: string,
	from: number,
	to: number,
	max: number,
	pageSize = 10_000,
): Promise<{ events: StoredEvent[]; truncated: boolean }> {
	const events: StoredEvent[] = [];
	let after: string | undefined;
	for (;;) {
		const page = await store.listEvents({ gameId, from, to, limit: Math.min(pageSize, max - events.length), after });
		for (const e of page) events.push(e);
		if (page.length === 0 || events.length >= max) return { events, truncated: events.length >= max };
		after = page[page.length - 1]!.id;
	}
}

function insufficient(error: unknown): ModelUnavailable {
	return { status: "insufficient_data", reason: error instanceof Error ? error.message : String(error) };
}

function rank<T extends { probability: number }>(rows: T[]): T[] {
	return rows.sort((a, b) => b.probability - a.probability).slice(0, RANKED_PLAYERS);
}

/**
 * Trains every model of a game on its stored events as of `now` and returns the document (nothing is stored here).
 * Each model that lacks data says why instead of failing the others.
 *
 * @example
 * const doc = await trainGamePredictions(store, "g1", Date.now());
 * doc.churn.status; // "trained" or "insufficient_data"
 */
export async function trainGamePredictions(
	store: Pick<Store, "listEvents" | "getGameSettings" | "consent">,
	gameId: string,
	now: number,
	options: TrainOptions = {},
): Promise<PredictionDocument> {
	const from = now - PREDICTION_HISTORY_DAYS * DAY_MS;
	const { events, truncated } = await readEvents(
		store,
		gameId,
		from,
		now,
		options.maxEvents ?? 5_000_000,
		options.pageSize,
	);
	const allPlayerEvents = events.filter((e) => e.userId > 0);
	// Consent: each model sees only the events of players who allow its category.
	const everyPlayer = groupByPlayer<FeatureEvent>(allPlayerEvents);
	const consent = await playerChoices({ store, keys: options.playerKeys }, gameId, everyPlayer.keys());
	const playerEvents = allPlayerEvents.filter((e) => consent.get(e.userId)?.analytics === true);
	const byPlayer = groupByPlayer<FeatureEvent>(playerEvents);
	const excludedForAnalytics = everyPlayer.size - byPlayer.size;
	const allBaskets = baskets(allPlayerEvents);
	const personalBaskets = new Map([...allBaskets].filter(([userId]) => consent.get(userId)?.personalization === true));
	const excludedForPersonalization = allBaskets.size - personalBaskets.size;
	const doc: PredictionDocument = {
		gameId,
		trainedAt: now,
		data: {
			events: events.length,
			players: everyPlayer.size,
			from: new Date(from).toISOString(),
			to: new Date(now).toISOString(),
			truncated,
			excludedForConsent: { analytics: excludedForAnalytics, personalization: excludedForPersonalization },
		},
		churn: { status: "insufficient_data", reason: "not trained" },
		purchase: { status: "insufficient_data", reason: "not trained" },
		ltv: { status: "insufficient_data", reason: "not trained" },
		recommendations: { status: "insufficient_data", reason: "not trained" },
		anomalies: { status: "insufficient_data", reason: "not trained" },
	};
	// Scoring "now": every player's features at the training time.
	const current = allPlayerFeatures(playerEvents, now);
	const active = (days: number) => current.filter((f) => f.daysSinceLast <= days);

	// Churn (7 days): labels of the held-out window end now, the training window's end where the test starts.
	try {
		const windows = { trainCutoff: now - 14 * DAY_MS, testCutoff: now - 7 * DAY_MS };
		const { model, card } = trainChurnModel(byPlayer, windows, now);
		const scored = active(card.activeWithinDays);
		doc.churn = {
			status: "trained",
			card: withExcluded(card, excludedForAnalytics),
			scored: scored.length,
			atRisk: rank(scoreChurn(model, scored)),
		};
	} catch (error) {
		doc.churn = insufficient(error);
	}
	// Purchase propensity (7 days).
	try {
		const windows = { trainCutoff: now - 14 * DAY_MS, testCutoff: now - 7 * DAY_MS };
		const { model, card } = trainPurchasePropensity(byPlayer, windows, now);
		const scored = active(card.activeWithinDays);
		const rows: ChurnScore[] = scoreChurn(model, scored);
		doc.purchase = {
			status: "trained",
			card: withExcluded(card, excludedForAnalytics),
			scored: scored.length,
			likelyBuyers: rank(rows),
		};
	} catch (error) {
		doc.purchase = insufficient(error);
	}
	// LTV over 30 and 90 days: each horizon's test labels end now.
	try {
		const cards: LtvModelCard[] = [];
		const windowsFor = (h: number) => ({ trainCutoff: now - 2 * h * DAY_MS, testCutoff: now - h * DAY_MS });
		const m30 = trainLtvModel(byPlayer, windowsFor(30), now, { horizonDays: 30 });
		cards.push(m30.card);
		let m90: ReturnType<typeof trainLtvModel> | undefined;
		try {
			m90 = trainLtvModel(byPlayer, windowsFor(90), now, { horizonDays: 90 });
			cards.push(m90.card);
		} catch {
			// Under 180 days of history: the 30-day model stands alone.
		}
		const scored = active(m30.card.activeWithinDays);
		const top = scored
			.map((f) => {
				const row = featureVector(f);
				return {
					userId: f.userId,
					ltv30: predictLtv(m30.model, row),
					ltv90: m90 ? predictLtv(m90.model, row) : null,
				};
			})
			.sort((a, b) => b.ltv30 - a.ltv30)
			.slice(0, RANKED_PLAYERS);
		doc.ltv = {
			status: "trained",
			cards: cards.map((card) => withExcluded(card, excludedForAnalytics)),
			scored: scored.length,
			top,
		};
	} catch (error) {
		doc.ltv = insufficient(error);
	}
	// Recommendations.
	try {
		doc.recommendations = recommendationSection(personalBaskets, now, excludedForPersonalization);
	} catch (error) {
		doc.recommendations = insufficient(error);
	}
	// KPI anomalies.
	try {
		const settings = await store.getGameSettings(gameId);
		doc.anomalies = anomalySection(events, settings.timeZone, from, now);
	} catch (error) {
		doc.anomalies = insufficient(error);
	}
	return doc;
}

function recommendationSection(
	playerBaskets: Map<number, string[]>,
	now: number,
	excludedForConsent: number,
): RecommendationSection {
	const e = evaluateRecommendations(playerBaskets, 5);
	if (e.items < 2) throw new RangeError("fewer than two items were ever bought");
	if (e.players === 0) throw new RangeError("no held-out player bought two items: nothing to measure the model on");
	// Serve a model trained on every player (the evaluated one left the held-out players out).
	const served = trainItemModel(playerBaskets.values());
	const neighbours: Record<string, [string, number][]> = {};
	for (const { item } of served.popular.slice(0, MAX_ITEMS)) {
		const list = served.neighbours.get(item) ?? [];
		if (list.length > 0) neighbours[item] = list.slice(0, NEIGHBOURS_PER_ITEM);
	}
	return {
		status: "trained",
		card: {
			model: "recommendations",
			method: "item-to-item co-purchase: shrunk cosine c(i,j) / (√(n_i·n_j) + 10), popularity fill",
			n: 5,
			training: { players: e.trainingPlayers, items: e.items, pairs: e.model.pairs, excludedForConsent },
			heldOut: { players: e.players, hitRate: e.hitRate },
			baseline: { name: "popularity (the 5 most bought items the player does not own)", hitRate: e.baselineHitRate },
			trainedAt: new Date(now).toISOString(),
		},
		neighbours,
		popular: served.popular.slice(0, 20).map((p) => p.item),
	};
}

/** Daily KPIs of the events read, in the game's local days, judged by the anomaly detector. */
function anomalySection(events: readonly StoredEvent[], timeZone: string, from: number, now: number): AnomalySection {
	const dayOf = localDayFn(timeZone);
	const first = dayOf(from);
	// Today is incomplete: it is judged tomorrow.
	const last = dayOf(now) - 1;
	const n = last - first + 1;
	if (n < 22) throw new RangeError("fewer than 22 days of history");
	const players = Array.from({ length: n }, () => new Set<number>());
	// SDK version mix: the share of players' sessions started on a server running the newest SDK version seen.
	const versions = new Set<string>();
	for (const e of events) {
		if (e.type === "session_start" && e.userId > 0 && typeof e.props.sdkVersion === "string") {
			versions.add(e.props.sdkVersion);
		}
	}
	const newest = [...versions].sort(compareVersions).at(-1);
	const sessionsOnNewest = new Array<number>(n).fill(0);
	const sessionsWithVersion = new Array<number>(n).fill(0);
	const revenue = new Array<number>(n).fill(0);
	const volume = new Array<number>(n).fill(0);
	const errors = new Array<number>(n).fill(0);
	let firstSeen = Infinity;
	for (const e of events) {
		const i = dayOf(e.time) - first;
		if (i < 0 || i >= n) continue;
		if (i < firstSeen) firstSeen = i;
		volume[i]! += 1;
		if (e.userId > 0) players[i]!.add(e.userId);
		if (e.type === "session_start" && e.userId > 0 && typeof e.props.sdkVersion === "string") {
			sessionsWithVersion[i]! += 1;
			if (e.props.sdkVersion === newest) sessionsOnNewest[i]! += 1;
		}
		if (e.type === "error") errors[i]! += 1;
		else if (e.type === "purchase") {
			const robux = e.props.robux;
			if (typeof robux === "number" && Number.isFinite(robux) && robux > 0) revenue[i]! += robux;
		}
	}
	if (firstSeen === Infinity) throw new RangeError("no events in the window");
	// Days before the game's first event are not zeros: they are before the game existed here.
	const start = firstSeen;
	const series: { kpi: string; scale: KpiScale; values: number[] }[] = [
		{ kpi: "dau", scale: "log", values: players.map((s) => s.size) },
		{ kpi: "revenue", scale: "log", values: revenue },
		{ kpi: "event_volume", scale: "log", values: volume },
		{ kpi: "error_rate", scale: "logit", values: errors.map((x, i) => (volume[i]! > 0 ? x / volume[i]! : NaN)) },
	];
	// From the day the newest version first ran on: before it the share is not a mix but the version's absence. Days
	// without a reported session (SDKs that do not send their version) are missing values.
	const firstOnNewest = sessionsOnNewest.findIndex((x) => x > 0);
	if (newest !== undefined && firstOnNewest >= 0) {
		series.push({
			kpi: "sdk_version_mix",
			scale: "logit",
			values: sessionsOnNewest.map((x, i) =>
				i >= firstOnNewest && sessionsWithVersion[i]! > 0 ? x / sessionsWithVersion[i]! : NaN,
			),
		});
	}
	const kpis: KpiSeries[] = [];
	const alerts: AnomalySection["alerts"] = [];
	for (const s of series) {
		const values = s.values.slice(start);
		const firstWeekday = new Date((first + start) * DAY_MS).getUTCDay();
		const points = detectAnomalies(values, { scale: s.scale, firstWeekday });
		const date = (i: number) => new Date((first + start + i) * DAY_MS).toISOString().slice(0, 10);
		const judged = points
			.map((p, i) => (p ? { ...p, date: date(i) } : null))
			.filter((p): p is AnomalyPoint & { date: string } => p !== null);
		kpis.push({
			kpi: s.kpi,
			scale: s.scale,
			days: judged.slice(-56).map(({ index: _index, ...rest }) => rest),
		});
		for (const p of judged.slice(-7)) {
			if (p.anomaly && p.direction) {
				alerts.push({
					kpi: s.kpi,
					date: p.date,
					value: p.value,
					expected: p.expected,
					direction: p.direction,
					score: p.score,
				});
			}
		}
	}
	if (kpis.every((k) => k.days.length === 0)) throw new RangeError("fewer than 22 days of history");
	alerts.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
	return { status: "trained", kpis, alerts };
}

/** Orders dotted versions numerically part by part ("0.10.0" after "0.9.3"); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
	const pa = a.split(/[.+-]/);
	const pb = b.split(/[.+-]/);
	for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
		const x = pa[i] ?? "";
		const y = pb[i] ?? "";
		const nx = Number(x);
		const ny = Number(y);
		const c = x !== "" && y !== "" && Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
		if (c !== 0) return c;
	}
	return 0;
}
