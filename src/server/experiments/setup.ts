// Wiring of experiments into `Vantage.start`: the config client (its own token of scope `config` and its own small
// request budget), kept assignments in DataStore, and exposures recorded through tracking.
import { ConsentGate } from "../delivery/consent-gate";
import { RequestBudget } from "../delivery/request-budget";
import { TokenProvider } from "../delivery/token-provider";
import { configRequestsPerMinute, ResolvedOptions } from "../options";
import { FirstVisitStore } from "../tracking/first-visit";
import { robloxSessionSources } from "../tracking/player-facts";
import { SessionSources } from "../tracking/sessions";
import { Tracking } from "../tracking/tracking";
import { Warnings } from "../tracking/tracker";
import { DataStoreAssignments } from "./assignment-store";
import { PlayerAttributes, sharingFacts } from "./attributes";
import { ParsedConfig } from "./config";
import { ConfigClient } from "./config-client";
import { Experiments } from "./experiments";

/** Tracking's real session sources, sharing what they learn with experiments' attributes. */
export function sessionSourcesFor(options: ResolvedOptions, attributes: PlayerAttributes): SessionSources {
	const store = options.tracking.firstVisitStore;
	const firstVisits = store === false ? undefined : new FirstVisitStore(store, options.debug);
	return sharingFacts(robloxSessionSources(firstVisits), attributes);
}

/** The config client and the experiments API of a started SDK (call `start()` on both). */
export function createExperiments(
	options: ResolvedOptions,
	warnings: Warnings,
	attributes: PlayerAttributes,
	tracking: Tracking,
	onConfig?: (config: ParsedConfig) => void,
	consent?: ConsentGate,
	/** Whether requests may be made now (shared with delivery). */
	canRequest?: () => boolean,
): { config: ConfigClient; experiments: Experiments } {
	const { endpoint, gameKeySecret } = options.delivery;
	const budget = new RequestBudget(configRequestsPerMinute(options.experiments.configRefreshSeconds));
	const config = new ConfigClient({
		url: `${endpoint}/v1/config`,
		refreshSeconds: options.experiments.configRefreshSeconds,
		tokens: new TokenProvider(`${endpoint}/v1/oauth/token`, gameKeySecret, "config", budget),
		budget,
		warnings,
		debug: options.debug,
		onUpdate: onConfig,
		initial: options.experiments.initialConfig,
		localOnly: options.delivery.dryRun,
		canRequest,
	});
	const store = options.experiments.assignmentStore;
	const experiments = new Experiments({
		config: () => config.current(),
		attributes,
		expose: (player, experimentKey, props) => {
			const userId = player.UserId;
			tracking.tracker.emit(userId, tracking.sessions.sessionIdFor(player, userId), "exposure", experimentKey, props);
		},
		refuse: (fn, reason) => tracking.tracker.refuse(fn, reason),
		warnings,
		persistence: store === false ? undefined : new DataStoreAssignments(store, options.debug),
		consent,
	});
	return { config, experiments };
}
