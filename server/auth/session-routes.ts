import { randomBytes } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { ConflictError, InvalidCredentialsError, NotFoundError, ValidationError } from "../errors.js";
import type { AppEnv } from "../http/app-env.js";
import { readJsonBody } from "../http/read-json-body.js";
import { describeIssues } from "../ingest/schema.js";
import type { MasterKeys } from "../privacy/master-keys.js";
import type { AdminUser, Store } from "../store/types.js";
import { SecondFactorRequiredError } from "./admin-login.js";
import {
	hashPassword,
	MAX_PASSWORD_LENGTH,
	MIN_PASSWORD_LENGTH,
	verifyPassword,
	type PasswordHashOptions,
} from "./passwords.js";
import type { AdminSessionListing } from "./security-store.js";
import { matchTotp, newTotpSecret, totpSecretAad, totpUri } from "./totp.js";

/** Bodies here are a password or two and a code. */
const BODY_LIMITS = { maxBodyBytes: 8 * 1024, maxInflatedBytes: 8 * 1024 };

/** The issuer authenticator apps show beside the account. */
export const TOTP_ISSUER = "Vantage";

const password = z.string().min(1).max(MAX_PASSWORD_LENGTH);
const newPassword = z
	.string()
	.min(MIN_PASSWORD_LENGTH)
	.max(MAX_PASSWORD_LENGTH)
	.describe(`${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`);
const code = z.string().min(6).max(16).describe("The 6-digit code the authenticator app shows now.");

export const sessionSchema = z
	.object({
		id: z.string().describe("The session's id: what DELETE takes. Not a credential."),
		kind: z.enum(["dashboard", "token"]).describe("dashboard: the sign-in form's cookie; token: POST /v1/admin/login."),
		createdAt: z.string().describe("ISO 8601: the sign-in."),
		lastSeenAt: z.string().describe("ISO 8601: the last request seen (dashboard sessions; at most a minute behind)."),
		expiresAt: z.string().describe("ISO 8601: when it ends however active."),
		current: z.boolean().describe("This request's own session."),
	})
	.describe("A sign-in session of an admin user.");

export const sessionListSchema = z.object({
	sessions: z.array(sessionSchema).describe("Live sessions, newest first."),
});

export const changePasswordRequestSchema = z
	.strictObject({ currentPassword: password.describe("The password in use now."), newPassword })
	.describe("The user's own password change; their other sessions end.");

export const resetPasswordRequestSchema = z
	.strictObject({
		password: newPassword.optional().describe("The new password; left out, one is generated and answered once."),
	})
	.describe("An owner's reset of another user's password; all of that user's sessions end.");

export const resetPasswordResponseSchema = z.object({
	endedSessions: z.number().int().describe("Sessions of the user that ended."),
	generatedPassword: z.string().optional().describe("Only when no password was sent: in this answer only."),
});

export const totpStatusSchema = z.object({
	enabled: z.boolean().describe("Sign-in asks for a code."),
	pending: z.boolean().describe("An enrolment waits for its first code (POST /v1/admin/me/totp/confirm)."),
});

export const totpEnrolRequestSchema = z
	.strictObject({ password: password.describe("The user's password: a stolen session alone cannot enrol a factor.") })
	.describe("Starts (or restarts) a TOTP enrolment.");

export const totpEnrolmentSchema = z.object({
	secret: z.string().describe("Base32 secret, for apps that take it typed. Shown once."),
	uri: z.string().describe("otpauth://totp/… URI (RFC 6238 parameters), usually shown as a QR code. Shown once."),
});

export const totpCodeRequestSchema = z.strictObject({ code });

export const totpDisableRequestSchema = z
	.strictObject({ password: password.describe("The user's password."), code })
	.describe("Turning the second factor off takes the password and a current code.");

export interface SessionRoutesDeps {
	store: Store;
	clock: () => number;
	/** Seals the users' TOTP secrets. */
	secrets: MasterKeys;
	/** Admin-token middleware: `user` is any signed-in user (their own account), `admin` the instance admin. */
	requireRole: (role: "user" | "admin") => MiddlewareHandler<AppEnv>;
	/** Tests pass cheap argon2 parameters. @default the production parameters */
	hashOptions?: PasswordHashOptions;
}

/**
 * A user's sessions, password and second factor, mounted at /v1/admin:
 * - `GET /sessions`, `DELETE /sessions/:sessionId` — the caller's own sessions, listed and ended one by one (the
 *   session's token or cookie is refused from the next request on);
 * - `GET /users/:userId/sessions`, `DELETE /users/:userId/sessions/:sessionId` — any user's (instance admin);
 * - `POST /me/password` — the caller changes their password (the current one is checked); their other sessions end;
 * - `POST /users/:userId/password` — an admin resets another user's password; every session of that user ends;
 * - `GET|POST|DELETE /me/totp`, `POST /me/totp/confirm` — TOTP: status, enrol (password checked; answers the secret
 *   and otpauth URI once), confirm with a first code, disable (password and a code);
 * - `DELETE /users/:userId/totp` — an admin removes a user's second factor (a lost phone).
 * Every change here is audited by the admin audit middleware (middleware/admin-audit).
 */
export function sessionRoutes(deps: SessionRoutesDeps): Hono<AppEnv> {
	const { store, clock, secrets } = deps;
	const routes = new Hono<AppEnv>();
	const anyone = deps.requireRole("user");
	const owner = deps.requireRole("admin");

	const listFor = async (userId: string, currentId: string | undefined) => {
		const sessions = await store.security.listAdminSessions(userId, clock());
		return { sessions: sessions.map((s) => summarize(s, currentId)) };
	};

	routes.get("/sessions", anyone, async (c) => {
		const admin = c.get("admin");
		return c.json(await listFor(admin.userId, admin.sessionId), 200);
	});

	routes.delete("/sessions/:sessionId", anyone, async (c) => {
		const sessionId = c.req.param("sessionId");
		if (!(await store.security.deleteAdminSessionOfUser(c.get("admin").userId, sessionId))) {
			throw new NotFoundError("You have no such session.");
		}
		return c.body(null, 204);
	});

	routes.get("/users/:userId/sessions", owner, async (c) => {
		const user = await userOr404(store, c.req.param("userId"));
		return c.json(await listFor(user.id, c.get("admin").sessionId), 200);
	});

	routes.delete("/users/:userId/sessions/:sessionId", owner, async (c) => {
		const user = await userOr404(store, c.req.param("userId"));
		if (!(await store.security.deleteAdminSessionOfUser(user.id, c.req.param("sessionId")))) {
			throw new NotFoundError("The user has no such session.");
		}
		return c.body(null, 204);
	});

	/** 1. invalid body → 400; 2. wrong current password → 401; 3. the new hash, and the other sessions end. */
	routes.post("/me/password", anyone, async (c) => {
		const body = parse(changePasswordRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS));
		const admin = c.get("admin");
		const user = await userOr404(store, admin.userId);
		if (!(await verifyPassword(user.passwordHash, body.currentPassword))) throw new InvalidCredentialsError();
		await store.security.setAdminPasswordHash(user.id, await hashPassword(body.newPassword, deps.hashOptions));
		const ended = await store.security.deleteAdminSessionsOfUser(user.id, admin.sessionId);
		return c.json({ endedSessions: ended }, 200);
	});

	/** 1. invalid body → 400; 2. unknown user → 404; 3. the caller's own account → 409 (use /me/password). */
	routes.post("/users/:userId/password", owner, async (c) => {
		const body = parse(resetPasswordRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS));
		const user = await userOr404(store, c.req.param("userId"));
		if (user.id === c.get("admin").userId) {
			throw new ConflictError("Change your own password with POST /v1/admin/me/password (it checks the current one).");
		}
		const generatedPassword = body.password === undefined ? randomBytes(18).toString("base64url") : undefined;
		const hash = await hashPassword(body.password ?? generatedPassword ?? "", deps.hashOptions);
		await store.security.setAdminPasswordHash(user.id, hash);
		const ended = await store.security.deleteAdminSessionsOfUser(user.id);
		c.header("Cache-Control", "no-store");
		return c.json({ endedSessions: ended, ...(generatedPassword ? { generatedPassword } : {}) }, 200);
	});

	routes.get("/me/totp", anyone, async (c) => {
		const totp = await store.security.getTotp(c.get("admin").userId);
		return c.json(
			{ enabled: totp?.confirmedAt != null, pending: totp !== undefined && totp.confirmedAt === null },
			200,
		);
	});

	/**
	 * 1. wrong password → 401; 2. a factor already enabled → 409 (disable it first: a session alone must not swap it);
	 * 3. a new pending secret (replacing a pending one), answered once.
	 */
	routes.post("/me/totp", anyone, async (c) => {
		const body = parse(totpEnrolRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS));
		const user = await userOr404(store, c.get("admin").userId);
		if (!(await verifyPassword(user.passwordHash, body.password))) throw new InvalidCredentialsError();
		if ((await store.security.getTotp(user.id))?.confirmedAt != null) {
			throw new ConflictError(
				"A second factor is enabled: disable it (DELETE /v1/admin/me/totp) before enrolling anew.",
			);
		}
		const secret = newTotpSecret();
		await store.security.putPendingTotp({
			userId: user.id,
			secret: secrets.seal(secret, totpSecretAad(user.id)),
			confirmedAt: null,
			lastStep: 0,
			createdAt: clock(),
		});
		c.header("Cache-Control", "no-store");
		return c.json({ secret, uri: totpUri(secret, user.email, TOTP_ISSUER) }, 201);
	});

	/** 1. nothing pending → 409; 2. a wrong code → 401; 3. enabled: the next sign-in asks for a code. */
	routes.post("/me/totp/confirm", anyone, async (c) => {
		const body = parse(totpCodeRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS));
		const userId = c.get("admin").userId;
		const totp = await store.security.getTotp(userId);
		if (!totp || totp.confirmedAt !== null) throw new ConflictError("No enrolment is waiting: POST /v1/admin/me/totp.");
		await checkCode(store, secrets, userId, totp.secret, body.code, clock());
		return c.json({ enabled: true, pending: false }, 200);
	});

	/** 1. none enabled → 404; 2. wrong password → 401; 3. wrong code → 401; 4. removed. */
	routes.delete("/me/totp", anyone, async (c) => {
		const body = parse(totpDisableRequestSchema, await readJsonBody(c.req.raw, BODY_LIMITS));
		const user = await userOr404(store, c.get("admin").userId);
		const totp = await store.security.getTotp(user.id);
		if (!totp) throw new NotFoundError("No second factor is set up.");
		if (!(await verifyPassword(user.passwordHash, body.password))) throw new InvalidCredentialsError();
		if (totp.confirmedAt !== null) await checkCode(store, secrets, user.id, totp.secret, body.code, clock());
		await store.security.deleteTotp(user.id);
		return c.body(null, 204);
	});

	routes.delete("/users/:userId/totp", owner, async (c) => {
		const user = await userOr404(store, c.req.param("userId"));
		if (!(await store.security.deleteTotp(user.id))) throw new NotFoundError("The user has no second factor.");
		return c.body(null, 204);
	});

	return routes;
}

/** Accepts a code of the user's secret once (its step is remembered); a wrong, expired or reused one is 401. */
async function checkCode(
	store: Store,
	secrets: MasterKeys,
	userId: string,
	sealed: string,
	sent: string,
	now: number,
): Promise<void> {
	const step = matchTotp(secrets.open(sealed, totpSecretAad(userId)), sent, now);
	if (step === undefined || !(await store.security.useTotpStep(userId, step, now))) {
		throw new SecondFactorRequiredError("The code is wrong, expired or already used.");
	}
}

async function userOr404(store: Store, userId: string): Promise<AdminUser> {
	const user = userId.length <= 64 ? await store.getAdminUser(userId) : undefined;
	if (!user) throw new NotFoundError(`User "${userId.slice(0, 64)}" does not exist.`);
	return user;
}

function summarize(session: AdminSessionListing, currentId: string | undefined): z.infer<typeof sessionSchema> {
	return {
		id: session.id,
		kind: session.kind,
		createdAt: new Date(session.createdAt).toISOString(),
		lastSeenAt: new Date(session.lastSeenAt).toISOString(),
		expiresAt: new Date(session.expiresAt).toISOString(),
		current: session.id === currentId,
	};
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
	const result = schema.safeParse(value);
	if (!result.success) throw new ValidationError("The request body is invalid.", describeIssues(result.error.issues));
	return result.data;
}
