// Wiring of experiments into `Vantage.start`: the config client (its own token of scope `config` and its own small
// request budget), kept assignments in DataStore, exposures recorded through tracking, and each player's variants
// replicated to their client when it reads them (client-variants.ts).
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
import { ClientVariants } from "./client-variants";
import { ParsedConfig } from "./config";
import { ConfigClient } from "./config-client";
import { Experiments } from "./experiments";

/** Tracking's real session sources, sharing what they learn with experiments' attributes. */
export function sessionSourcesFor(options: ResolvedOptions, attributes: PlayerAttributes): SessionSources {
	const store = options.tracking.firstVisitStore;
	const firstVisits = store === false ? undefined : new FirstVisitStore(store, options.debug);
	return sharingFacts(robloxSessionSources(firstVisits), attributes);
}

/**
 * The config client and the experiments API of a started SDK (call `start()` on both), and the replication of
 * players' variants to their clients (the caller routes client requests and consent changes to it).
 */
export function createExperiments(
	options: ResolvedOptions,
	warnings: Warnings,
	attributes: PlayerAttributes,
	tracking: Tracking,
	onConfig?: (config: ParsedConfig) => void,
	consent?: ConsentGate,
	/** Whether requests may be made now (shared with delivery). */
	canRequest?: () => boolean,
	/** Whether a player's consent is still being looked up (their client's first variants wait for it). */
	consentLoading?: (userId: number) => boolean,
): { config: ConfigClient; experiments: Experiments; clientVariants: ClientVariants } {
	const { endpoint, gameKeySecret } = options.delivery;
	// Created first (it reads experiments only once a client asks, after start), so every source of change can tell it.
	let experiments: Experiments | undefined = undefined;
	const clientVariants = new ClientVariants({
		variantsFor: (player) => experiments!.variantsFor(player),
		pending: consentLoading ? (player) => consentLoading(player.UserId) : undefined,
		send: (player, message) => tracking.sendToClient(player, message),
	});
	attributes.onLearned = (userId) => clientVariants.changed(userId);
	const budget = new RequestBudget(configRequestsPerMinute(options.experiments.configRefreshSeconds));
	const config = new ConfigClient({
		url: `${endpoint}/v1/config`,
		refreshSeconds: options.experiments.configRefreshSeconds,
		tokens: new TokenProvider(`${endpoint}/v1/oauth/token`, gameKeySecret, "config", budget),
		budget,
		warnings,
		debug: options.debug,
		onUpdate: (parsed) => {
			onConfig?.(parsed);
			clientVariants.changedAll();
		},
		initial: options.experiments.initialConfig,
		localOnly: options.delivery.dryRun,
		canRequest,
	});
	const store = options.experiments.assignmentStore;
	experiments = new Experiments({
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
		playerChanged: (userId) => clientVariants.changed(userId),
	});
	return { config, experiments, clientVariants };
}
