import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";

// The only entry point that reads the environment and listens; everything else receives its config.
async function main(): Promise<void> {
	let config;
	try {
		config = loadConfig();
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		createLogger({ sink: process.stderr }).error("invalid configuration", { problems: error.problems });
		process.exitCode = 1;
		return;
	}

	const logger = createLogger({ level: config.logLevel });
	const server = await startServer(config, { logger });

	let stopping = false;
	const shutdown = (signal: NodeJS.Signals): void => {
		if (stopping) {
			// A second Ctrl-C means "now": skip the grace period.
			logger.warn("forced exit", { signal });
			process.exit(1);
		}
		stopping = true;
		logger.info("shutting down", { signal });
		server.close().then(
			() => process.exit(0),
			(error: unknown) => {
				logger.error("shutdown failed", { error });
				process.exit(1);
			},
		);
	};
	process.on("SIGINT", () => shutdown("SIGINT"));
	process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
	createLogger({ sink: process.stderr }).error("startup failed", { error });
	process.exit(1);
});
