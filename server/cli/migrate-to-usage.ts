// The migrate command's help, apart from migrate-to.ts so `npm run vantage -- help` (run-cli.ts) shows it without loading
// the scale path's engines (pg, @clickhouse/client), which only the command itself needs.

/** The command's lines in `npm run vantage -- help`. */
export const MIGRATE_USAGE = `  migrate --to <postgres-url> <clickhouse-url> [--batch-size <rows>]
      Moves this data directory's deployment (SQLite) to the scale path: metadata to PostgreSQL
      (postgres://user:password@host:5432/db), events to ClickHouse (clickhouse://host:8123[,host:8123]/db?cluster=name,
      as VANTAGE_EVENTS_URL), without loss; both databases must be new. Stop the server first. Interrupted, it continues
      where it stopped when run again. Ends with per-table counts and metric equality (SQLite vs ClickHouse) for every
      game and experiment; exit code 1 on any difference. Then start the instances with both URLs and this
      deployment's master key.
`;
