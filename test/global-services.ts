// vitest globalSetup: builds the dashboard bundle, and starts the database servers the scale-path tests share (PostgreSQL, two ClickHouse shards,
// Redis) once per run, in parallel, when they are installed, and stops them at the end. Tests reach them through
// server/testing/shared-services.ts. In CI (.ci/run installs them) a missing one is an error, not a skip.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// The names and types of what this setup provides (a module augmentation of vitest's ProvidedContext).
import type {} from "../server/testing/shared-services.js";
import {
	serviceAvailable,
	startClickHouse,
	startPostgres,
	startRedis,
	type ClickHouseService,
	type PostgresService,
	type RedisService,
} from "../server/testing/services.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	// The dashboard bundle from the sources as they are now, once, before any suite starts a backend (each reads
	// dashboard/dist at its start; test/e2e/browser.ts).
	execFileSync(process.execPath, [join(import.meta.dirname, "..", "dashboard", "build.mjs")], { stdio: "pipe" });
	const ci = process.env.CI === "true";
	for (const kind of ["postgres", "clickhouse", "redis"] as const) {
		if (ci && !serviceAvailable(kind)) throw new Error(`CI needs ${kind} installed (.ci/run installs it)`);
	}
	const [postgres, clickhouse, redis] = await Promise.all([
		serviceAvailable("postgres") ? startPostgres() : undefined,
		serviceAvailable("clickhouse") ? startClickHouse({ shards: 2 }) : undefined,
		serviceAvailable("redis") ? startRedis() : undefined,
	] as [
		Promise<PostgresService> | undefined,
		Promise<ClickHouseService> | undefined,
		Promise<RedisService> | undefined,
	]);
	project.provide("sharedPostgresUrl", postgres?.url ?? "");
	project.provide("sharedClickHouseShards", clickhouse?.shards.map((s) => s.url) ?? []);
	project.provide("sharedClickHouseCluster", clickhouse?.cluster ?? "");
	project.provide("sharedRedisUrl", redis?.url ?? "");
	return async () => {
		await Promise.all([postgres?.stop(), clickhouse?.stop(), redis?.stop()]);
	};
}
