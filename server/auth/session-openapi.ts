// Sessions, passwords and the TOTP second factor (auth/session-routes.ts) in the OpenAPI document.
import type { OpenApiFragment } from "../openapi/fragment.js";
import type { OpenApiHelpers } from "../openapi/helpers.js";
import {
	changePasswordRequestSchema,
	resetPasswordRequestSchema,
	resetPasswordResponseSchema,
	sessionListSchema,
	sessionSchema,
	totpCodeRequestSchema,
	totpDisableRequestSchema,
	totpEnrolmentSchema,
	totpEnrolRequestSchema,
	totpStatusSchema,
} from "./session-routes.js";

const userId = {
	name: "userId",
	in: "path",
	required: true,
	description: "The user's id (from GET /v1/admin/users).",
	schema: { type: "string", maxLength: 64 },
};
const sessionId = {
	name: "sessionId",
	in: "path",
	required: true,
	description: "The session's id (from a sessions list).",
	schema: { type: "string", maxLength: 128 },
};

/**
 * The paths of session-routes.ts. Besides the admin 401 (no valid token), a 401 here also answers a wrong password
 * (`invalid_credentials`) or TOTP code (`second_factor_required`).
 */
function sessionPaths(h: OpenApiHelpers): Record<string, unknown> {
	const body = (id: string) => ({ requestBody: { required: true, content: h.json(id) } });
	const noContent = (description: string) => ({ "204": { description } });
	const invalid = h.problem("Invalid body: a missing or unknown member, or a value out of range.", false);
	return {
		"/v1/admin/sessions": {
			get: h.adminOperation("listMySessions", "The caller's sign-in sessions, newest first (any user)", {
				"200": h.ok("Sessions; `current` marks this request's.", "SessionList"),
			}),
		},
		"/v1/admin/sessions/{sessionId}": {
			delete: h.adminOperation(
				"revokeMySession",
				"End one of the caller's sessions: its token or cookie is refused from the next request on (any user)",
				{ ...noContent("Ended."), "404": h.problem("The caller has no such session.", false) },
				{ parameters: [sessionId] },
			),
		},
		"/v1/admin/users/{userId}/sessions": {
			get: h.adminOperation(
				"listUserSessions",
				"A user's sign-in sessions (instance admin)",
				{ "200": h.ok("Sessions, newest first.", "SessionList"), "404": h.problem("Unknown user.", false) },
				{ parameters: [userId] },
			),
		},
		"/v1/admin/users/{userId}/sessions/{sessionId}": {
			delete: h.adminOperation(
				"revokeUserSession",
				"End one session of a user at once (instance admin)",
				{ ...noContent("Ended."), "404": h.problem("Unknown user, or the user has no such session.", false) },
				{ parameters: [userId, sessionId] },
			),
		},
		"/v1/admin/me/password": {
			post: h.adminOperation(
				"changeMyPassword",
				"Change the caller's password (the current one is checked); their other sessions end (any user)",
				{
					"200": {
						description: "Changed.",
						content: {
							"application/json": {
								schema: {
									type: "object",
									properties: { endedSessions: { type: "integer", description: "Other sessions ended." } },
									required: ["endedSessions"],
								},
							},
						},
					},
					"400": invalid,
					"415": h.problem("Not application/json.", false),
				},
				body("ChangePasswordRequest"),
			),
		},
		"/v1/admin/users/{userId}/password": {
			post: h.adminOperation(
				"resetUserPassword",
				"Reset another user's password (given, or generated and answered once); all their sessions end (instance admin)",
				{
					"200": h.ok("Reset (Cache-Control: no-store).", "ResetPasswordResponse"),
					"400": invalid,
					"404": h.problem("Unknown user.", false),
					"409": h.problem("The caller's own account: use POST /v1/admin/me/password.", false),
					"415": h.problem("Not application/json.", false),
				},
				{ parameters: [userId], ...body("ResetPasswordRequest") },
			),
		},
		"/v1/admin/me/totp": {
			get: h.adminOperation("myTotp", "Whether the caller's sign-in asks for a TOTP code (any user)", {
				"200": h.ok("The second factor's state.", "TotpStatus"),
			}),
			post: h.adminOperation(
				"enrolTotp",
				"Start a TOTP enrolment: the secret and otpauth:// URI, answered once; confirm with a first code (any user)",
				{
					"201": h.ok("Pending until confirmed (Cache-Control: no-store).", "TotpEnrolment"),
					"400": invalid,
					"409": h.problem("A second factor is enabled: disable it first.", false),
				},
				body("TotpEnrolRequest"),
			),
			delete: h.adminOperation(
				"disableTotp",
				"Turn the caller's second factor off (password and a current code) (any user)",
				{ ...noContent("Off."), "400": invalid, "404": h.problem("No second factor is set up.", false) },
				body("TotpDisableRequest"),
			),
		},
		"/v1/admin/me/totp/confirm": {
			post: h.adminOperation(
				"confirmTotp",
				"Confirm a pending enrolment with the app's current code; sign-in asks for codes from then on (any user)",
				{
					"200": h.ok("Enabled.", "TotpStatus"),
					"400": invalid,
					"409": h.problem("No enrolment is waiting.", false),
				},
				body("TotpCodeRequest"),
			),
		},
		"/v1/admin/users/{userId}/totp": {
			delete: h.adminOperation(
				"resetUserTotp",
				"Remove a user's second factor, e.g. after a lost phone (instance admin)",
				{ ...noContent("Removed."), "404": h.problem("Unknown user, or no second factor.", false) },
				{ parameters: [userId] },
			),
		},
	};
}

export const sessionOpenApi: OpenApiFragment = {
	components: {
		Session: sessionSchema,
		SessionList: sessionListSchema,
		ChangePasswordRequest: changePasswordRequestSchema,
		ResetPasswordRequest: resetPasswordRequestSchema,
		ResetPasswordResponse: resetPasswordResponseSchema,
		TotpStatus: totpStatusSchema,
		TotpEnrolRequest: totpEnrolRequestSchema,
		TotpEnrolment: totpEnrolmentSchema,
		TotpCodeRequest: totpCodeRequestSchema,
		TotpDisableRequest: totpDisableRequestSchema,
	},
	paths: sessionPaths,
};
