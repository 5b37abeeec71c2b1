// The signed-in user's own account, on the Settings page for everyone: their sessions (each can be ended; ending one
// refuses its cookie or token at once), the TOTP second factor (set up with an authenticator app, confirmed with a
// first code; turned off with the password and a code), and their password. The API (auth/session-routes.ts) checks
// everything again; this only offers it.
import { useState } from "preact/hooks";
import { sendJson } from "../api.js";
import { TextField } from "../components/fields.js";
import { Failed, Loading } from "../components/states.js";
import { shortDate } from "./settings-data.js";
import { FeedbackLine, SettingsSection, errorText, useResource, type Feedback } from "./settings-ui.js";

/** A session as GET /v1/admin/sessions lists it. */
interface Session {
	id: string;
	kind: "dashboard" | "token";
	createdAt: string;
	lastSeenAt: string;
	expiresAt: string;
	current: boolean;
}

interface TotpStatus {
	enabled: boolean;
	pending: boolean;
}

interface TotpEnrolment {
	secret: string;
	uri: string;
}

export function AccountSection() {
	return (
		<SettingsSection
			id="settings-account"
			title="Your account"
			lead="Your sign-in sessions, two-step sign-in and password. These apply to you on every game."
		>
			<SessionsPart />
			<TotpPart />
			<PasswordPart />
		</SettingsSection>
	);
}

function SessionsPart() {
	const [sessions, setSessions] = useResource<{ sessions: Session[] }>("/v1/admin/sessions");
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const end = async (session: Session) => {
		try {
			await sendJson("DELETE", `/v1/admin/sessions/${encodeURIComponent(session.id)}`);
			setSessions((s) => ({ sessions: s.sessions.filter((x) => x.id !== session.id) }));
			setFeedback({ kind: "ok", text: "Session ended: it is signed out now." });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		}
	};
	return (
		<div class="account-part">
			<h3>Sessions</h3>
			{sessions.status === "loading" ? <Loading label="Loading your sessions…" /> : null}
			{sessions.status === "failed" ? (
				<Failed what="your sessions" error={sessions.error} onRetry={sessions.retry} />
			) : null}
			{sessions.status === "done" ? (
				<div class="table-scroll">
					<table class="data-table sessions-table">
						<caption class="visually-hidden">Your sign-in sessions, newest first</caption>
						<thead>
							<tr>
								<th scope="col">Kind</th>
								<th scope="col">Signed in</th>
								<th scope="col">Last seen</th>
								<th scope="col">Ends</th>
								<th scope="col">
									<span class="visually-hidden">Actions</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{sessions.data.sessions.map((s) => (
								<tr key={s.id}>
									<td>{s.kind === "dashboard" ? "Dashboard" : "API token"}</td>
									<td>{shortDate(s.createdAt)}</td>
									<td>{s.kind === "dashboard" ? shortDate(s.lastSeenAt) : "—"}</td>
									<td>{shortDate(s.expiresAt)}</td>
									<td>
										{s.current ? (
											<span class="muted">This session</span>
										) : (
											<button type="button" onClick={() => void end(s)}>
												End
											</button>
										)}
									</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			) : null}
			<FeedbackLine feedback={feedback} />
		</div>
	);
}

function TotpPart() {
	const [status, setStatus] = useResource<TotpStatus>("/v1/admin/me/totp");
	const [password, setPassword] = useState("");
	const [code, setCode] = useState("");
	const [enrolment, setEnrolment] = useState<TotpEnrolment | undefined>(undefined);
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const run = async (work: () => Promise<void>) => {
		try {
			await work();
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		}
	};
	const start = (e: Event) => {
		e.preventDefault();
		void run(async () => {
			setEnrolment(await sendJson<TotpEnrolment>("POST", "/v1/admin/me/totp", { password }));
			setPassword("");
			setStatus(() => ({ enabled: false, pending: true }));
			setFeedback({ kind: "ok", text: "Add the key to your authenticator app, then enter the code it shows." });
		});
	};
	const confirm = (e: Event) => {
		e.preventDefault();
		void run(async () => {
			const next = await sendJson<TotpStatus>("POST", "/v1/admin/me/totp/confirm", { code });
			setStatus(() => next);
			setEnrolment(undefined);
			setCode("");
			setFeedback({ kind: "ok", text: "Two-step sign-in is on: signing in now asks for a code." });
		});
	};
	const disable = (e: Event) => {
		e.preventDefault();
		void run(async () => {
			await sendJson("DELETE", "/v1/admin/me/totp", { password, code });
			setStatus(() => ({ enabled: false, pending: false }));
			setPassword("");
			setCode("");
			setFeedback({ kind: "ok", text: "Two-step sign-in is off." });
		});
	};
	if (status.status === "loading") return <Loading label="Loading two-step sign-in…" />;
	if (status.status === "failed") return <Failed what="two-step sign-in" error={status.error} onRetry={status.retry} />;
	const { enabled } = status.data;
	return (
		<div class="account-part">
			<h3>Two-step sign-in</h3>
			<p class="muted small">
				{enabled
					? "On: signing in asks for the 6-digit code of your authenticator app."
					: "Off: add a second step with an authenticator app (any TOTP app: 6 digits every 30 seconds)."}
			</p>
			{enabled ? (
				<form class="settings-form" onSubmit={disable}>
					<TextField
						id="totp-off-password"
						label="Password"
						type="password"
						autocomplete="current-password"
						required
						value={password}
						onValue={setPassword}
					/>
					<TextField
						id="totp-off-code"
						label="Code"
						inputmode="numeric"
						autocomplete="one-time-code"
						required
						value={code}
						onValue={setCode}
					/>
					<button type="submit">Turn off</button>
				</form>
			) : enrolment ? (
				<form class="settings-form" onSubmit={confirm}>
					<p class="secret-warning">
						<strong>Shown once.</strong> Scan or paste this into your authenticator app; the key is the same thing
						typed.
					</p>
					<TextField id="totp-uri" label="Setup link" wide mono value={enrolment.uri} />
					<TextField id="totp-secret" label="Key" mono value={enrolment.secret} />
					<TextField
						id="totp-confirm-code"
						label="Code from the app"
						inputmode="numeric"
						autocomplete="one-time-code"
						required
						value={code}
						onValue={setCode}
					/>
					<button type="submit">Turn on</button>
				</form>
			) : (
				<form class="settings-form" onSubmit={start}>
					<TextField
						id="totp-password"
						label="Password"
						type="password"
						autocomplete="current-password"
						required
						value={password}
						onValue={setPassword}
					/>
					<button type="submit">Set up two-step sign-in</button>
				</form>
			)}
			<FeedbackLine feedback={feedback} />
		</div>
	);
}

function PasswordPart() {
	const [current, setCurrent] = useState("");
	const [next, setNext] = useState("");
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const change = async (e: Event) => {
		e.preventDefault();
		try {
			const { endedSessions } = await sendJson<{ endedSessions: number }>("POST", "/v1/admin/me/password", {
				currentPassword: current,
				newPassword: next,
			});
			setCurrent("");
			setNext("");
			const others = endedSessions === 1 ? "1 other session" : `${endedSessions} other sessions`;
			setFeedback({ kind: "ok", text: `Password changed; ${others} signed out.` });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		}
	};
	return (
		<div class="account-part">
			<h3>Password</h3>
			<form class="settings-form" onSubmit={(e) => void change(e)}>
				<TextField
					id="password-current"
					label="Current password"
					type="password"
					autocomplete="current-password"
					required
					value={current}
					onValue={setCurrent}
				/>
				<TextField
					id="password-new"
					label="New password (12 characters or more)"
					type="password"
					autocomplete="new-password"
					required
					minLength={12}
					maxLength={1024}
					value={next}
					onValue={setNext}
				/>
				<button type="submit">Change password</button>
			</form>
			<FeedbackLine feedback={feedback} />
		</div>
	);
}
