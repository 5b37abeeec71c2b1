// Test support of the privacy half's PostgreSQL tests: a fresh database per test, migrated like openPostgresMetadata
// migrates (metadata core, then privacy), with as many pools as the test plays instances.
import type pg from "pg";
import type { PostgresService } from "../../testing/services.js";
import { METADATA_MIGRATIONS } from "./metadata-migrations.js";
import { runMigrations } from "./migrations.js";
import { PREDICTION_COMPONENT, PREDICTION_MIGRATIONS } from "./prediction-store.js";
import { openPool } from "./pool.js";
import { migratePrivacy } from "./privacy-index.js";

let databases = 0;

export interface PrivacyTestDatabase {
	url: string;
	/** The first pool (migrated the database). */
	pool: pg.Pool;
	/** Another pool on the same database: another backend instance. Closed by {@link close}. */
	openPool(): pg.Pool;
	/** Inserts a game (consent tables refer to games). */
	createGame(id: string): Promise<void>;
	close(): Promise<void>;
}

/**
 * A new database on `service`, with the metadata core's and the privacy half's tables.
 *
 * @example
 * const db = await privacyTestDatabase(pg, "audit");
 * const privacy = new PostgresPrivacyMetadataStore(db.pool, NO_PLAYER_VAULT);
 */
export async function privacyTestDatabase(service: PostgresService, prefix: string): Promise<PrivacyTestDatabase> {
	const url = await service.createDatabase(`${prefix}_${process.pid}_${++databases}`);
	const pools: pg.Pool[] = [];
	const open = () => {
		const pool = openPool({ url, poolSize: 8 });
		pools.push(pool);
		return pool;
	};
	const pool = open();
	await runMigrations(pool, "metadata", METADATA_MIGRATIONS);
	await migratePrivacy(pool);
	// The privacy store's erasure and export also cover the players' places in the prediction rankings.
	await runMigrations(pool, PREDICTION_COMPONENT, PREDICTION_MIGRATIONS);
	return {
		url,
		pool,
		openPool: open,
		async createGame(id) {
			await pool.query("INSERT INTO games (id, name, created_at) VALUES ($1, $1, 0)", [id]);
		},
		async close() {
			await Promise.all(pools.map((p) => p.end()));
		},
	};
}
