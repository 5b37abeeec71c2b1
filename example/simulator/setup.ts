// What a studio sets up in Vantage for the example game: the difficulty experiment the game reads with
// Vantage.getVariant. The simulator plants an effect on it: "hard" levels make players fail more, so fewer reach
// level 3 and fewer come back.

/** The experiment's key: the game's Config.DIFFICULTY_EXPERIMENT. */
export const DIFFICULTY_EXPERIMENT = "obby_difficulty";

/**
 * Creates the running difficulty experiment through the admin API (an analyst's or owner's `Authorization`).
 * Resolves when created; an experiment that already exists is left as it is.
 *
 * @example
 * await setupDemoExperiment({ url, gameId: "1818", adminAuth, startAt: Date.now() - 28 * 86_400_000 });
 */
export async function setupDemoExperiment(options: {
	url: string;
	gameId: string;
	adminAuth: string;
	/** Unix ms the experiment started (the beginning of the simulated history). */
	startAt: number;
}): Promise<void> {
	const res = await fetch(`${options.url}/v1/admin/games/${options.gameId}/experiments`, {
		method: "POST",
		headers: { Authorization: options.adminAuth, "Content-Type": "application/json" },
		body: JSON.stringify({
			key: DIFFICULTY_EXPERIMENT,
			name: "Obby difficulty",
			status: "running",
			startAt: new Date(options.startAt).toISOString(),
			variations: [{ key: "classic" }, { key: "hard" }],
			primaryMetric: { key: "reached_level_3", type: "conversion", event: "World1:Level3", eventType: "progression" },
			guardrailMetrics: [{ key: "day1_retention", type: "retention", day: 1 }],
		}),
	});
	if (res.status !== 201 && res.status !== 409) {
		throw new Error(`could not create the ${DIFFICULTY_EXPERIMENT} experiment: ${res.status} ${await res.text()}`);
	}
}
