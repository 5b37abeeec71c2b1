import { randomBytes } from "node:crypto";
import { InvalidCredentialsError, ProblemError, RateLimitedError } from "../errors.js";
import type { Logger } from "../logger.js";
import { recordAudit } from "../privacy/audit.js";
import type { MasterKeys } from "../privacy/master-keys.js";
import type { AdminUser, Store } from "../store/types.js";
import { afterLoginFailure, LOGIN_THROTTLE, loginGate } from "./login-throttle.js";
import { dummyPasswordHash, verifyPassword } from "./passwords.js";
import { matchTotp, totpSecretAad } from "./totp.js";

/** 401: the password was right, but the account has a second factor and the code was missing or wrong. */
export class SecondFactorRequiredError extends ProblemError {
	override readonly name = "SecondFactorRequiredError";
	constructor(detail: string) {
		super(401, "second_factor_required", "Second factor required", detail);
	}
}

/** 429: the account had too many failed logins and is locked for a while (for every address). */
export class AccountLockedError extends ProblemError {
	override readonly name = "AccountLockedError";
	constructor(retryAfterSeconds: number) {
		const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
		super(
			429,
			"account_locked",
			"Account locked",
			`Too many failed sign-ins for this account: it is locked for ${seconds} s.`,
			{ retryAfterSeconds: seconds },
			{ "Retry-After": String(seconds) },
		);
	}
}

export interface AdminLoginOptions {
	store: Store;
	/** Unix ms. */
	clock: () => number;
	/** Opens the users' sealed TOTP secrets. */
	secrets: MasterKeys;
	logger?: Logger;
}

/** Where a login came from, for the audit log. */
export interface LoginContext {
	/** "api" (POST /v1/admin/login) or "dashboard" (the sign-in form). */
	via: "api" | "dashboard";
	/** The client's address (trusted-proxy aware, http/client-ip.ts). */
	ip: string;
}

/**
 * The one check of an admin sign-in, shared by the API login and the dashboard's form:
 * 1. the account's failures ask for a wait, or locked it → 429 (rate_limited / account_locked), nothing checked;
 * 2. unknown email, wrong password or disabled user → one failure more, 401 invalid_credentials (a dummy hash is
 *    checked for unknown emails so timing does not tell which exist; the failure is counted for them too);
 * 3. a confirmed second factor and no code → 401 second_factor_required (not a failure: the password was right);
 * 4. a wrong or reused code → one failure more, 401 second_factor_required;
 * 5. otherwise the user; the account's failures are forgotten and the login is audited.
 *
 * @example
 * const user = await login.verify({ email, password, code }, { via: "api", ip });
 */
export class AdminLogin {
	readonly #options: AdminLoginOptions;

	constructor(options: AdminLoginOptions) {
		this.#options = options;
	}

	async verify(
		credentials: { email: string; password: string; code?: string | undefined },
		context: LoginContext,
	): Promise<AdminUser> {
		const { store, clock } = this.#options;
		const account = credentials.email.trim().toLowerCase();
		const now = clock();
		const gate = loginGate(await store.security.getLoginThrottle(account), now);
		if (!gate.allowed) {
			if (gate.locked) throw new AccountLockedError(gate.retryAfterMs / 1000);
			throw new RateLimitedError(
				`Too many failed sign-ins for this account: wait ${Math.ceil(gate.retryAfterMs / 1000)} s before the next.`,
				gate.retryAfterMs / 1000,
			);
		}
		const user = account ? await store.getAdminUserByEmail(account) : undefined;
		const passwordOk = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), credentials.password);
		if (!user || !passwordOk || credentials.password.length === 0 || user.disabledAt !== null) {
			await this.#failed(account, user, context);
			throw new InvalidCredentialsError();
		}
		const totp = await store.security.getTotp(user.id);
		if (totp?.confirmedAt != null) {
			const code = credentials.code?.trim();
			if (!code) throw new SecondFactorRequiredError("This account has a second factor: send the 6-digit code too.");
			const secret = this.#options.secrets.open(totp.secret, totpSecretAad(user.id));
			const step = matchTotp(secret, code, clock());
			if (step === undefined || !(await store.security.useTotpStep(user.id, step, clock()))) {
				await this.#failed(account, user, context);
				throw new SecondFactorRequiredError("The code is wrong, expired or already used.");
			}
		}
		await store.security.clearLoginThrottle(account);
		await recordAudit(
			store,
			{ action: "admin.login", actor: `admin:${user.id}`, details: { via: context.via, ip: context.ip } },
			clock(),
		);
		return user;
	}

	/** Counts a failure; a failure that locks the account is audited (it is what an owner is asked about). */
	async #failed(account: string, user: AdminUser | undefined, context: LoginContext): Promise<void> {
		const { store, clock } = this.#options;
		const now = clock();
		const record = afterLoginFailure(await store.security.getLoginThrottle(account), account, now);
		await store.security.putLoginThrottle(record, now - LOGIN_THROTTLE.forgetAfterMs);
		if (record.lockedUntil !== null && record.failures === LOGIN_THROTTLE.lockAfterFailures) {
			this.#options.logger?.warn("admin account locked", { failures: record.failures, ip: context.ip });
			await recordAudit(
				store,
				{
					action: "admin.account_locked",
					actor: user ? `admin:${user.id}` : "system",
					details: { failures: record.failures, lockedUntil: record.lockedUntil, ip: context.ip, known: !!user },
				},
				now,
			);
		}
	}
}

/** A new session id for an admin token (no secret: the signed token is the credential, the row its revocation). */
export function newTokenSessionId(): string {
	return `t_${randomBytes(16).toString("hex")}`;
}
