import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAdminUser, createGameKey, parseGameId, revokeGameKey, summarizeKey } from "../auth/provisioning.js";
import { ADMIN_ROLES, GAME_SCOPES, type AdminRole, type GameScope } from "../auth/roles.js";
import { SigningKeyRing, signingKeyRingOptions } from "../auth/signing-keys.js";
import { ConfigError, loadConfig } from "../config.js";
import { verifyAuditChain } from "../privacy/audit.js";
import { NotFoundError, ProblemError } from "../errors.js";
import { DATABASE_FILE } from "../server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";

export interface CliIo {
	env: Readonly<Record<string, string | undefined>>;
	stdout: { write(text: string): unknown };
	stderr: { write(text: string): unknown };
	/** Reads all of standard input (for --password-stdin). */
	readStdin: () => Promise<string>;
	/** Unix ms. @default Date.now */
	now?: () => number;
}

export const USAGE = `Usage: npm run vantage -- <command>

  keys create --game <id> [--name <label>] [--scopes ingest,config]
      Creates a game key (and the game, if new). The key is printed once, alone on the last line.
  keys list [--game <id>]
  keys revoke <keyId>
  users create --email <email> --role owner|analyst|viewer [--password-stdin]
      Without --password-stdin a random password is generated and printed once, alone on the last line.
  users list
  users set-role --email <email> --role owner|analyst|viewer
  users disable --email <email>
  users enable --email <email>
  signing-keys list
  signing-keys rotate
      Makes a new token-signing key active; the old one verifies until its tokens expire.
  warehouse status
      Batches not yet folded into the rollups, and games whose rollups are being rebuilt.
  warehouse rebuild --game <id>
      Clears the game's rollups and refolds its raw events, to the end. Days already purged stay empty.
  warehouse purge
      Deletes raw events older than each game's rawRetentionDays now (rollups are kept).
  audit verify
      Checks the privacy audit log's hash chain; prints the head to keep elsewhere, or the first broken entry
      (exit code 1).

The database is the one in VANTAGE_DATA_DIR (default ./data), the same as the server's; the server may be running.
`;

class UsageError extends Error {
	override readonly name = "UsageError";
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
	let store: Store | undefined;
	try {
		const config = loadConfig(io.env);
		mkdirSync(config.dataDir, { recursive: true });
		// The warehouse runs on this process's connection and only when a command asks: a command's work is done
		// (and counted) before it returns, and no worker thread outlives it.
		store = openSqliteStore({ path: join(config.dataDir, DATABASE_FILE), warehouse: "inline", autoFold: false });
		const context = { store, io, now: io.now ?? Date.now, config };
		const command = COMMANDS[`${group} ${action ?? ""}`];
		if (!command) throw new UsageError(`Unknown command "${[group, action].filter(Boolean).join(" ")}".`);
		return (await command(rest, context)) ?? 0;
	} catch (error) {
		if (error instanceof UsageError) {
			io.stderr.write(`${error.message}\n\n${USAGE}`);
			return 2;
		}
		if (error instanceof ProblemError || error instanceof ConfigError) {
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

interface Context {
	store: Store;
	io: CliIo;
	now: () => number;
	config: ReturnType<typeof loadConfig>;
}

/** Resolves to nothing (exit code 0) or the exit code to end with. */
type Command = (args: string[], context: Context) => Promise<void | number>;

const COMMANDS: Record<string, Command> = {
	"keys create": async (args, { store, io, now }) => {
		const { values } = parseArgs({
			args,
			options: { game: { type: "string" }, name: { type: "string" }, scopes: { type: "string" } },
		});
		if (!values.game) throw new UsageError("--game is required.");
		const scopes = values.scopes === undefined ? undefined : parseScopes(values.scopes);
		const created = await createGameKey(store, {
			gameId: values.game,
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
		const keys = await store.listApiKeys(values.game === undefined ? undefined : parseGameId(values.game));
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
			options: { email: { type: "string" }, role: { type: "string" }, "password-stdin": { type: "boolean" } },
		});
		if (!values.email) throw new UsageError("--email is required.");
		const role = parseRole(values.role);
		const generated = !values["password-stdin"];
		const password = generated ? randomBytes(18).toString("base64url") : (await io.readStdin()).replace(/\r?\n$/, "");
		const user = await createAdminUser(store, { email: values.email, password, role, now: now() });
		io.stdout.write(`Created ${user.role} ${user.email} (${user.id}).\n`);
		if (generated) io.stdout.write(`Password (shown once):\n${password}\n`);
	},

	"users list": async (_args, { store, io }) => {
		const users = await store.listAdminUsers();
		io.stdout.write(
			table(
				["id", "email", "role", "created", "disabled"],
				users.map((u) => [u.id, u.email, u.role, iso(u.createdAt), u.disabledAt === null ? "" : iso(u.disabledAt)]),
			),
		);
	},

	"users set-role": async (args, context) => {
		const { values } = parseArgs({ args, options: { email: { type: "string" }, role: { type: "string" } } });
		const user = await userByEmail(context.store, values.email);
		const role = parseRole(values.role);
		await context.store.updateAdminUser(user.id, { role });
		context.io.stdout.write(`${user.email} is now ${role}.\n`);
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

	"signing-keys rotate": async (_args, { store, io, now, config }) => {
		const ring = await SigningKeyRing.open({ store, clock: now, ...signingKeyRingOptions(config) });
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
		const gameId = parseGameId(values.game);
		if (!(await store.getGame(gameId))) throw new NotFoundError(`Game "${gameId}" does not exist.`);
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
