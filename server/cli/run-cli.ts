import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAdminUser, createGameKey, revokeGameKey, summarizeKey } from "../auth/provisioning.js";
import { gameMembers, grantGameRole, revokeGameRole } from "../auth/access-provisioning.js";
import { ADMIN_ROLES, GAME_SCOPES, type AdminRole, type GameScope } from "../auth/roles.js";
import { SigningKeyRing, signingKeyRingOptions } from "../auth/signing-keys.js";
import { rewrapPlayerKeyVault, sealSecretsAtRest } from "../auth/secrets-at-rest.js";
import { ConfigError, loadConfig, type Config } from "../config.js";
import { createLogger } from "../logger.js";
import { loadMasterKeys, type MasterKeys } from "../privacy/master-keys.js";
import { MasterKeyError, PLAYER_KEYS_FILE } from "../privacy/player-keys.js";
import { recordAudit, verifyAuditChain } from "../privacy/audit.js";
import { ADMIN_CHANGE_ACTION } from "../middleware/admin-audit/index.js";
import { ProblemError, ValidationError } from "../errors.js";
import type { z } from "zod";
import {
	archiveLibraryMetric,
	createLibraryMetric,
	createLibraryMetricSchema,
	libraryMetricResponse,
	parseLibraryKey,
	readLibraryMetric,
	updateLibraryMetric,
	updateLibraryMetricSchema,
} from "../experiments/metric-library.js";
import { describeIssues } from "../ingest/schema.js";
import { StoreConfigError, StoreUnreachableError, openStores } from "../store/open-stores.js";
import type { Game, Store } from "../store/types.js";
import { dataDirWarning, listRunningServers } from "../running-servers.js";
import { MIGRATE_USAGE } from "./migrate-to-usage.js";

export interface CliIo {
	env: Readonly<Record<string, string | undefined>>;
	stdout: { write(text: string): unknown };
	stderr: { write(text: string): unknown };
	/** Reads all of standard input (for --password-stdin). */
	readStdin: () => Promise<string>;
	/** Unix ms. @default Date.now */
	now?: () => number;
	/** Where running servers record their data directory (running-servers.ts). @default defaultRunDir() */
	runDir?: string;
}

export const USAGE = `Usage: npm run vantage -- <command>

  games list
      The games: id, name, created.
  keys create --game <id or name> [--name <label>] [--scopes ingest,config]
      Creates a game key (and the game, if no game has that id or name). The key is printed once, alone on the
      last line.
  keys list [--game <id or name>]
  keys revoke <keyId>
  users create --email <email> [--admin] [--game <id> --role owner|analyst|viewer] [--password-stdin]
      --admin: instance admin (creates games and users; owner of every game). --game/--role: a role on one game.
      Without --password-stdin a random password is generated and printed once, alone on the last line.
  users list
  users set-admin --email <email> --admin true|false
  users grant --email <email> --game <id> --role owner|analyst|viewer
      Gives the user that role on the game (replacing their role there); other games are not affected.
  users revoke --email <email> --game <id>
  users members --game <id>
      Who can open the game: its grants and the instance admins.
  users disable --email <email>
  users enable --email <email>
  signing-keys list
  signing-keys rotate
      Makes a new token-signing key active; the old one verifies until its tokens expire.
  keys rotate-master
      With VANTAGE_MASTER_KEY (new) and VANTAGE_MASTER_KEY_PREVIOUS (old) set: rewraps everything the old master key
      wrapped (player keys, signing keys, TOTP secrets) under the new one; the server does the same at start.
  warehouse status
      Batches not yet folded into the rollups, and games whose rollups are being rebuilt.
  warehouse rebuild --game <id or name>
      Clears the game's rollups and refolds its raw events, to the end. Days already purged stay empty.
  warehouse purge
      Deletes raw events older than each game's rawRetentionDays now (rollups are kept).
  audit verify
      Checks the privacy audit log's hash chain; prints the head to keep elsewhere, or the first broken entry
      (exit code 1).
  metrics list --game <id or name> [--archived]
      The game's metric library: each metric's latest version, type and role (--archived: archived ones too).
  metrics show --game <id or name> --key <key> [--version <n>]
      One library metric as JSON: its latest version, or version n.
  metrics versions --game <id or name> --key <key>
      Every version of a library metric: when, by whom, what.
  metrics create --game <id or name> (--json '<definition>' | --file <path.json>) [--role goal|guardrail]
      Adds a metric (version 1). The definition is a metric as experiments take it, e.g.
      '{"key":"d1","type":"retention","day":1}'; its key names it in the library. Role default: goal.
  metrics update --game <id or name> --key <key> [--json '<definition>' | --file <path.json>] [--role goal|guardrail]
      A new version with the whole new definition and/or role (running experiments keep the version they pinned).
  metrics archive --game <id or name> --key <key>
      Hides the metric from new experiments; every version stays readable.
${MIGRATE_USAGE}
A game is named by its id or its name (not case-sensitive); a name several games share is refused with the list.
The database is the one in VANTAGE_DATA_DIR (default ./data), the same as the server's; the server may be running.
A warning is printed when a running Vantage server uses another data directory.
`;

class UsageError extends Error {
	override readonly name = "UsageError";
}

/** The master keys, as the server loads them; a key problem is a command failure (exit 1) with its reason. */
function cliMasterKeys(config: Config, io: CliIo): MasterKeys {
	try {
		return loadMasterKeys(config, createLogger({ level: "warn", sink: io.stderr }));
	} catch (error) {
		if (error instanceof MasterKeyError) throw new CommandError(error.message);
		throw error;
	}
}

/** A command that cannot run as asked (exit code 1); the message says why and what to do. */
class CommandError extends Error {
	override readonly name = "CommandError";
}

/**
 * Runs one CLI command; returns the exit code (0 ok, 1 failed, 2 usage). Output goes to `io` so tests read it.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, ... });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
	const [group, action, ...rest] = argv;
	if (!group || group === "help" || group === "--help" || group === "-h") {
		io.stdout.write(USAGE);
		return group ? 0 : 2;
	}
	// The migration reads the SQLite deployment and writes the scale path's engines itself (migrate-to.ts), loaded only
	// when asked so other commands never load pg or @clickhouse/client.
	if (group === "migrate") {
		const { runMigrateCommand } = await import("./migrate-to.js");
		return await runMigrateCommand(argv.slice(1), io);
	}
	let store: Store | undefined;
	try {
		const config = loadConfig(io.env);
		// Before the directory is created: keys made in a directory no server reads would never work.
		const warning = dataDirWarning(
			config.dataDir,
			listRunningServers(io.runDir === undefined ? {} : { runDir: io.runDir }),
		);
		if (warning) io.stderr.write(warning);
		mkdirSync(config.dataDir, { recursive: true });
		// The warehouse runs on this process's connection and only when a command asks: a command's work is done
		// (and counted) before it returns, and no worker thread outlives it.
		store = await openStores(config, { sqlite: { warehouse: "inline", autoFold: false } });
		const context = { store, io, now: io.now ?? Date.now, config };
		const name = `${group} ${action ?? ""}`;
		const command = COMMANDS[name];
		if (!command) throw new UsageError(`Unknown command "${[group, action].filter(Boolean).join(" ")}".`);
		const code = (await command(rest, context)) ?? 0;
		if (code === 0 && !READ_ONLY_COMMANDS.has(name)) await auditCliChange(store, name, rest, context.now());
		return code;
	} catch (error) {
		if (error instanceof UsageError) {
			io.stderr.write(`${error.message}\n\n${USAGE}`);
			return 2;
		}
		if (
			error instanceof ProblemError ||
			error instanceof ConfigError ||
			error instanceof CommandError ||
			error instanceof StoreConfigError ||
			error instanceof StoreUnreachableError
		) {
			io.stderr.write(`${error.message}\n`);
			return 1;
		}
		if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
			io.stderr.write(`${error.message}\n\n${USAGE}`);
			return 2;
		}
		throw error;
	} finally {
		await store?.close();
	}
}

/** Commands that change nothing; every other command that succeeds is an admin action and goes in the audit log. */
const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
	"games list",
	"keys list",
	"users list",
	"users members",
	"signing-keys list",
	"warehouse status",
	"audit verify",
	"metrics list",
	"metrics show",
	"metrics versions",
]);

/**
 * Records a CLI admin action in the hash-chained audit log, like the HTTP API's admin changes
 * (middleware/admin-audit): actor `cli:<OS user>`, the command and its arguments (passwords only ever come from
 * standard input, so the arguments hold no secret).
 */
async function auditCliChange(store: Store, command: string, args: readonly string[], at: number): Promise<void> {
	await recordAudit(
		store,
		{
			action: ADMIN_CHANGE_ACTION,
			actor: cliActor(),
			details: { command: command.trim(), args: args.map((a) => a.slice(0, 128)) },
		},
		at,
	);
}

/** Who acts from the CLI, as the audit log and the metric library name them: `cli:<OS user>`. */
function cliActor(): string {
	let user = "unknown";
	try {
		user = userInfo().username;
	} catch {
		// No passwd entry for this uid (some containers): the entry still says the CLI made the change.
	}
	return `cli:${user}`;
}

interface Context {
	store: Store;
	io: CliIo;
	now: () => number;
	config: ReturnType<typeof loadConfig>;
}

/** Resolves to nothing (exit code 0) or the exit code to end with. */
type Command = (args: string[], context: Context) => Promise<void | number>;

const COMMANDS: Record<string, Command> = {
	"games list": async (args, { store, io }) => {
		parseArgs({ args, options: {} });
		const games = await store.listGames();
		io.stdout.write(
			table(
				["id", "name", "created"],
				games.map((g) => [g.id, g.name, iso(g.createdAt)]),
			),
		);
	},

	"keys create": async (args, { store, io, now }) => {
		const { values } = parseArgs({
			args,
			options: { game: { type: "string" }, name: { type: "string" }, scopes: { type: "string" } },
		});
		if (!values.game) throw new UsageError("--game is required.");
		const scopes = values.scopes === undefined ? undefined : parseScopes(values.scopes);
		// An existing game by id or name; anything else is the id of a new game.
		const gameId = (await findGame(store, values.game))?.id ?? values.game;
		const created = await createGameKey(store, {
			gameId,
			now: now(),
			createGameIfMissing: true,
			...(values.name === undefined ? {} : { name: values.name }),
			...(scopes === undefined ? {} : { scopes }),
		});
		if (created.gameCreated) io.stdout.write(`Created game ${created.summary.gameId}.\n`);
		io.stdout.write(
			`Created key ${created.summary.id} for game ${created.summary.gameId} (scopes: ${created.summary.scopes.join(" ")}).\n` +
				"Store it as a Roblox secret now; it is not shown again:\n",
		);
		io.stdout.write(`${created.key}\n`);
	},

	"keys list": async (args, { store, io }) => {
		const { values } = parseArgs({ args, options: { game: { type: "string" } } });
		const keys = await store.listApiKeys(values.game === undefined ? undefined : await gameNamed(store, values.game));
		io.stdout.write(
			table(
				["id", "game", "name", "scopes", "created", "revoked"],
				keys.map(summarizeKey).map((k) => [k.id, k.gameId, k.name, k.scopes.join(" "), k.createdAt, k.revokedAt ?? ""]),
			),
		);
	},

	"keys revoke": async (args, { store, io, now }) => {
		const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
		const [keyId] = positionals;
		if (!keyId || positionals.length !== 1) throw new UsageError("keys revoke takes exactly one key id.");
		const key = await revokeGameKey(store, keyId, now());
		io.stdout.write(`Revoked key ${key.id} of game ${key.gameId} at ${key.revokedAt}.\n`);
	},

	"users create": async (args, { store, io, now }) => {
		const { values } = parseArgs({
			args,
			options: {
				email: { type: "string" },
				admin: { type: "boolean" },
				game: { type: "string" },
				role: { type: "string" },
				"password-stdin": { type: "boolean" },
			},
		});
		if (!values.email) throw new UsageError("--email is required.");
		// A role is per game since issue 15: a bare --role (the old global role) would silently mean something else.
		if ((values.role === undefined) !== (values.game === undefined)) {
			throw new UsageError("--game and --role go together (a role is per game); --admin makes an instance admin.");
		}
		const grants =
			values.game === undefined ? [] : [{ gameId: await gameNamed(store, values.game), role: parseRole(values.role) }];
		const generated = !values["password-stdin"];
		const password = generated ? randomBytes(18).toString("base64url") : (await io.readStdin()).replace(/\r?\n$/, "");
		const admin = values.admin ?? false;
		const user = await createAdminUser(store, { email: values.email, password, admin, grants, now: now() });
		const what = [admin ? "instance admin" : "", ...grants.map((g) => `${g.role} of ${g.gameId}`)].filter(Boolean);
		io.stdout.write(`Created ${user.email} (${user.id})${what.length ? `, ${what.join(", ")}` : ", no games yet"}.\n`);
		if (generated) io.stdout.write(`Password (shown once):\n${password}\n`);
	},

	"users list": async (_args, { store, io }) => {
		const users = await store.listAdminUsers();
		const rows = [];
		for (const u of users) {
			const grants = (await store.access.listUserGrants(u.id)).map((g) => `${g.gameId}:${g.role}`).join(" ");
			const disabled = u.disabledAt === null ? "" : iso(u.disabledAt);
			rows.push([u.id, u.email, u.admin ? "yes" : "", grants, iso(u.createdAt), disabled]);
		}
		io.stdout.write(table(["id", "email", "admin", "games", "created", "disabled"], rows));
	},

	"users set-admin": async (args, context) => {
		const { values } = parseArgs({ args, options: { email: { type: "string" }, admin: { type: "string" } } });
		const user = await userByEmail(context.store, values.email);
		if (values.admin !== "true" && values.admin !== "false") throw new UsageError("--admin must be true or false.");
		await context.store.updateAdminUser(user.id, { admin: values.admin === "true" });
		context.io.stdout.write(`${user.email} is ${values.admin === "true" ? "now" : "no longer"} an instance admin.\n`);
	},

	"users grant": async (args, context) => {
		const { values } = parseArgs({
			args,
			options: { email: { type: "string" }, game: { type: "string" }, role: { type: "string" } },
		});
		const user = await userByEmail(context.store, values.email);
		if (!values.game) throw new UsageError("--game is required.");
		const role = parseRole(values.role);
		const grant = await grantGameRole(context.store, {
			userId: user.id,
			gameId: await gameNamed(context.store, values.game),
			role,
			now: context.now(),
		});
		context.io.stdout.write(`${user.email} is now ${grant.role} of game ${grant.gameId}.\n`);
	},

	"users revoke": async (args, context) => {
		const { values } = parseArgs({ args, options: { email: { type: "string" }, game: { type: "string" } } });
		const user = await userByEmail(context.store, values.email);
		if (!values.game) throw new UsageError("--game is required.");
		const gameId = await gameNamed(context.store, values.game);
		await revokeGameRole(context.store, { userId: user.id, gameId });
		context.io.stdout.write(`${user.email} has no role on game ${gameId} any more.\n`);
	},

	"users members": async (args, { store, io }) => {
		const { values } = parseArgs({ args, options: { game: { type: "string" } } });
		if (!values.game) throw new UsageError("--game is required.");
		const members = await gameMembers(store, await gameNamed(store, values.game));
		io.stdout.write(
			table(
				["email", "role", "via", "granted", "disabled"],
				members.map((m) => [m.email, m.role, m.via, m.grantedAt ?? "", m.disabled ? "yes" : ""]),
			),
		);
	},

	"users disable": async (args, context) => {
		const { values } = parseArgs({ args, options: { email: { type: "string" } } });
		const user = await userByEmail(context.store, values.email);
		await context.store.updateAdminUser(user.id, { disabledAt: context.now() });
		context.io.stdout.write(`Disabled ${user.email}; their tokens stop working at once.\n`);
	},

	"users enable": async (args, context) => {
		const { values } = parseArgs({ args, options: { email: { type: "string" } } });
		const user = await userByEmail(context.store, values.email);
		await context.store.updateAdminUser(user.id, { disabledAt: null });
		context.io.stdout.write(`Enabled ${user.email}.\n`);
	},

	"signing-keys list": async (_args, { store, io }) => {
		const keys = await store.listSigningKeys();
		io.stdout.write(
			table(
				["kid", "alg", "created", "retired"],
				keys.map((k) => [k.kid, k.alg, iso(k.createdAt), k.retiredAt === null ? "" : iso(k.retiredAt)]),
			),
		);
	},

	"keys rotate-master": async (_args, { store, io, config }) => {
		const keys = cliMasterKeys(config, io);
		if (!keys.previous) {
			throw new CommandError(
				"Set VANTAGE_MASTER_KEY to the new master key and VANTAGE_MASTER_KEY_PREVIOUS to the old one (the server " +
					"takes the same two), then run this again.",
			);
		}
		const players = rewrapPlayerKeyVault(join(config.dataDir, PLAYER_KEYS_FILE), keys);
		const { sealed, rewrapped } = await sealSecretsAtRest(store, keys);
		io.stdout.write(
			`Rewrapped under master key ${keys.currentId}: ${players} player keys, ${rewrapped} stored secrets` +
				(sealed > 0 ? ` (and ${sealed} plain-text secrets sealed)` : "") +
				`.\nNothing is wrapped by ${keys.previousId} any more: VANTAGE_MASTER_KEY_PREVIOUS can be removed.\n`,
		);
	},

	"signing-keys rotate": async (_args, { store, io, now, config }) => {
		const secrets = cliMasterKeys(config, io);
		await sealSecretsAtRest(store, secrets);
		const ring = await SigningKeyRing.open({ store, secrets, clock: now, ...signingKeyRingOptions(config) });
		const kid = await ring.rotate();
		io.stdout.write(`New signing key ${kid} is active; running servers pick it up within a minute.\n`);
	},

	"warehouse status": async (_args, { store, io }) => {
		const status = await store.warehouse.status();
		// foldedEvents counts this process's folds, always 0 here: the server's own count is GET /v1/admin/warehouse.
		io.stdout.write(`Pending batches: ${status.pendingBatches}\nRebuilding games: ${status.rebuilding}\n`);
	},

	"warehouse rebuild": async (args, { store, io }) => {
		const { values } = parseArgs({ args, options: { game: { type: "string" } } });
		if (!values.game) throw new UsageError("--game is required.");
		const gameId = await gameNamed(store, values.game);
		// Folding what is pending first leaves only this game's raw events in the count below.
		await store.warehouse.catchUp();
		await store.warehouse.rebuild(gameId);
		const { events } = await store.warehouse.catchUp();
		io.stdout.write(`Rebuilt the rollups of game ${gameId}: ${events} events folded.\n`);
		const { rawRetentionDays } = await store.getGameSettings(gameId);
		if (rawRetentionDays !== null) {
			io.stdout.write(
				`Game ${gameId} keeps raw events for ${rawRetentionDays} days: days whose raw events were purged are now empty.\n`,
			);
		}
	},

	"warehouse purge": async (_args, { store, io, now }) => {
		const retained = (await store.listGameSettings()).filter((s) => s.rawRetentionDays !== null);
		if (retained.length === 0) {
			io.stdout.write("No game has rawRetentionDays set; nothing to purge.\n");
			return;
		}
		const at = now();
		const deleted = new Map<string, number>();
		// A purge waits for an empty inbox (no event may leave before the rollups have it) and deletes a bounded
		// slice per game per call, so fold and purge until a call finds nothing more.
		for (;;) {
			await store.warehouse.catchUp();
			const slice = await store.warehouse.purge(at);
			if (slice.length === 0) break;
			for (const { gameId, deleted: n } of slice) deleted.set(gameId, (deleted.get(gameId) ?? 0) + n);
		}
		io.stdout.write(
			table(
				["game", "retention days", "deleted raw events"],
				retained.map((s) => [s.gameId, String(s.rawRetentionDays), String(deleted.get(s.gameId) ?? 0)]),
			),
		);
	},
};

// The privacy audit log (server/privacy/audit.ts): exit code 1 when the chain is broken.
COMMANDS["audit verify"] = async (args, { store, io }) => {
	parseArgs({ args, options: {} });
	const verdict = await verifyAuditChain(store);
	if (verdict.ok) {
		const head = verdict.head === null ? "none (empty log)" : `${verdict.head.seq} ${verdict.head.hash}`;
		io.stdout.write(`Audit log intact: ${verdict.entries} entries.\nHead: ${head}\n`);
		return 0;
	}
	io.stdout.write(
		`Audit log BROKEN at entry ${verdict.brokenAt}: ${verdict.reason}.\n` +
			`Entries before it that check out: ${verdict.entries}.\n`,
	);
	return 1;
};

// The game's metric library (server/experiments/metric-library.ts), the same rules as its admin API.
COMMANDS["metrics list"] = async (args, { store, io }) => {
	const { values } = parseArgs({ args, options: { game: { type: "string" }, archived: { type: "boolean" } } });
	const gameId = await gameNamed(store, requiredOption(values.game, "--game"));
	const metrics = await store.listLibraryMetrics(gameId, { includeArchived: values.archived ?? false });
	io.stdout.write(
		table(
			["key", "type", "role", "version", "name", "updated", "archived"],
			metrics.map((m) => [
				m.key,
				m.definition.type,
				m.role,
				String(m.version),
				m.definition.name ?? "",
				iso(m.createdAt),
				m.archivedAt === null ? "" : iso(m.archivedAt),
			]),
		),
	);
};

COMMANDS["metrics show"] = async (args, { store, io }) => {
	const { values } = parseArgs({
		args,
		options: { game: { type: "string" }, key: { type: "string" }, version: { type: "string" } },
	});
	const gameId = await gameNamed(store, requiredOption(values.game, "--game"));
	const key = parseLibraryKey(requiredOption(values.key, "--key"));
	const version = values.version === undefined ? undefined : Number(values.version);
	if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
		throw new UsageError("--version must be a version number (1, 2, …).");
	}
	const { record, latest } = await readLibraryMetric(store, gameId, key, version);
	io.stdout.write(`${JSON.stringify(libraryMetricResponse(record, latest.version), null, 2)}\n`);
};

COMMANDS["metrics versions"] = async (args, { store, io }) => {
	const { values } = parseArgs({ args, options: { game: { type: "string" }, key: { type: "string" } } });
	const gameId = await gameNamed(store, requiredOption(values.game, "--game"));
	const key = parseLibraryKey(requiredOption(values.key, "--key"));
	const versions = await store.listLibraryMetricVersions(gameId, key);
	if (versions.length === 0) throw new CommandError(`The metric library of game ${gameId} has no metric "${key}".`);
	io.stdout.write(
		table(
			["version", "role", "created", "by", "definition"],
			versions.map((v) => [
				String(v.version),
				v.role,
				iso(v.createdAt),
				v.createdBy ?? "",
				JSON.stringify(v.definition),
			]),
		),
	);
};

COMMANDS["metrics create"] = async (args, { store, io, now }) => {
	const { values } = parseArgs({ args, options: METRIC_WRITE_OPTIONS });
	const gameId = await gameNamed(store, requiredOption(values.game, "--game"));
	const definition = metricDefinitionArg(values);
	if (definition === undefined) throw new UsageError("metrics create needs the definition: --json '<json>' or --file.");
	const body = validCliInput(createLibraryMetricSchema, { definition, ...(values.role ? { role: values.role } : {}) });
	const record = await cliProblems(() => createLibraryMetric(store, gameId, body, cliActor(), now()));
	io.stdout.write(`Created metric ${record.key} (version 1, ${record.role}) in the library of game ${gameId}.\n`);
};

COMMANDS["metrics update"] = async (args, { store, io, now }) => {
	const { values } = parseArgs({ args, options: { ...METRIC_WRITE_OPTIONS, key: { type: "string" } } });
	const gameId = await gameNamed(store, requiredOption(values.game, "--game"));
	const key = parseLibraryKey(requiredOption(values.key, "--key"));
	const definition = metricDefinitionArg(values);
	const body = validCliInput(updateLibraryMetricSchema, {
		...(definition === undefined ? {} : { definition }),
		...(values.role ? { role: values.role } : {}),
	});
	const { record, changed } = await cliProblems(() => updateLibraryMetric(store, gameId, key, body, cliActor(), now()));
	io.stdout.write(
		changed
			? `Metric ${key} is now at version ${record.version} (${record.role}).\n`
			: `Metric ${key} already has this definition and role (version ${record.version}); nothing changed.\n`,
	);
};

COMMANDS["metrics archive"] = async (args, { store, io, now }) => {
	const { values } = parseArgs({ args, options: { game: { type: "string" }, key: { type: "string" } } });
	const gameId = await gameNamed(store, requiredOption(values.game, "--game"));
	const key = parseLibraryKey(requiredOption(values.key, "--key"));
	await archiveLibraryMetric(store, gameId, key, now());
	io.stdout.write(`Archived metric ${key}: new experiments cannot pick it; its versions stay readable.\n`);
};

const METRIC_WRITE_OPTIONS = {
	game: { type: "string" },
	json: { type: "string" },
	file: { type: "string" },
	role: { type: "string" },
} as const;

function requiredOption(value: string | undefined, name: string): string {
	if (value === undefined || value === "") throw new UsageError(`${name} is required.`);
	return value;
}

/** The definition given with --json or --file (not both), parsed as JSON; undefined when neither is given. */
function metricDefinitionArg(values: { json?: string | undefined; file?: string | undefined }): unknown {
	if (values.json !== undefined && values.file !== undefined) throw new UsageError("Give --json or --file, not both.");
	if (values.json === undefined && values.file === undefined) return undefined;
	let text: string;
	try {
		text = values.json ?? readFileSync(values.file!, "utf8");
	} catch (error) {
		throw new CommandError(`Cannot read ${values.file}: ${(error as Error).message}`);
	}
	try {
		return JSON.parse(text) as unknown;
	} catch (error) {
		throw new CommandError(`The definition is not JSON: ${(error as Error).message}`);
	}
}

/** The input as the admin API would take it, or a command error listing every problem by path. */
function validCliInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
	const result = schema.safeParse(input);
	if (result.success) return result.data;
	throw new CommandError(problemLines("The metric is invalid:", describeIssues(result.error.issues)));
}

/** Runs a library change; a validation problem is printed with its paths, like the admin API's 400 lists them. */
async function cliProblems<T>(change: () => Promise<T>): Promise<T> {
	try {
		return await change();
	} catch (error) {
		if (error instanceof ValidationError) {
			const issues = (error.extensions as { errors?: { path: string; message: string }[] }).errors ?? [];
			throw new CommandError(problemLines(error.message, issues));
		}
		throw error;
	}
}

function problemLines(title: string, issues: readonly { path: string; message: string }[]): string {
	return [title, ...issues.map((i) => `  ${i.path || "(definition)"}: ${i.message}`)].join("\n");
}

/**
 * The game `ref` names, or undefined when none does:
 * 1. a game whose id is exactly `ref` (ids win: they are what the API and the SDK use);
 * 2. else the one game whose name is `ref`, ignoring case and surrounding spaces;
 * 3. several games of that name → an error listing them, so the user picks by id.
 */
async function findGame(store: Store, ref: string): Promise<Game | undefined> {
	const games = await store.listGames();
	const byId = games.find((g) => g.id === ref);
	if (byId) return byId;
	const wanted = ref.trim().toLowerCase();
	const byName = games.filter((g) => g.name.trim().toLowerCase() === wanted);
	if (byName.length > 1) {
		throw new CommandError(`${byName.length} games are named "${ref}"; name one by its id:\n${gameList(byName)}`);
	}
	return byName[0];
}

/** The id of the existing game `ref` names ({@link findGame}); an unknown one is an error listing the games. */
async function gameNamed(store: Store, ref: string): Promise<string> {
	const game = await findGame(store, ref);
	if (game) return game.id;
	const games = await store.listGames();
	const known =
		games.length === 0 ? "There are no games yet (keys create --game <id> creates one)." : `Games:\n${gameList(games)}`;
	throw new CommandError(`No game has the id or name "${ref}". ${known}`);
}

function gameList(games: readonly Game[]): string {
	return games.map((g) => `  ${g.id}  ${g.name}`).join("\n");
}

function parseScopes(raw: string): GameScope[] {
	const scopes = raw.split(/[\s,]+/).filter(Boolean);
	const known = scopes.filter((s): s is GameScope => (GAME_SCOPES as readonly string[]).includes(s));
	if (known.length !== scopes.length || known.length === 0) {
		throw new UsageError(`--scopes must list some of: ${GAME_SCOPES.join(", ")}.`);
	}
	return known;
}

function parseRole(raw: string | undefined): AdminRole {
	const role = ADMIN_ROLES.find((r) => r === raw);
	if (!role) throw new UsageError(`--role must be one of: ${ADMIN_ROLES.join(", ")}.`);
	return role;
}

async function userByEmail(store: Store, email: string | undefined) {
	if (!email) throw new UsageError("--email is required.");
	const user = await store.getAdminUserByEmail(email.trim().toLowerCase());
	if (!user) throw new UsageError(`No user with email "${email}".`);
	return user;
}

function iso(ms: number): string {
	return new Date(ms).toISOString();
}

function table(header: string[], rows: string[][]): string {
	if (rows.length === 0) return "(none)\n";
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
	const line = (cells: string[]) =>
		cells
			.map((c, i) => c.padEnd(widths[i] ?? 0))
			.join("  ")
			.trimEnd();
	return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
