// Owner-only settings: the game's keys and its members (who may open it, with which role); for instance admins, the
// users. The page renders these sections only for those roles (a viewer never even asks for them), and the API
// refuses everyone else anyway. A new key or a generated password
// is shown once, with a copy button and a warning; afterwards only the key's id (its public prefix) is visible.
import { useRef, useState } from "preact/hooks";
import { sendJson } from "../api.js";
import { Failed, Loading } from "../components/states.js";
import { ADMIN_ROLES } from "../../../server/auth/roles.js";
import type { Role } from "../session.js";
import { FeedbackLine, SettingsSection, errorText, useResource, type Feedback } from "./settings-ui.js";
import {
	KEY_SCOPES,
	ROLE_HELP,
	checkNewUser,
	keyPrefix,
	keyState,
	shortDate,
	type AdminUser,
	type ApiKey,
	type CreatedKey,
	type CreatedUser,
	type GameMember,
} from "./settings-data.js";

/**
 * A secret shown once: selectable text, a copy button, and what to do with it. "Done" hides it for good (the server
 * keeps only its hash, so nobody can show it again).
 */
function SecretOnce(props: { id: string; label: string; secret: string; warning: string; onDone: () => void }) {
	const input = useRef<HTMLInputElement>(null);
	const [copied, setCopied] = useState<string>("");
	const copy = async () => {
		try {
			await navigator.clipboard.writeText(props.secret);
			setCopied("Copied to the clipboard.");
		} catch {
			// No clipboard access (permissions, an insecure origin): select it for Ctrl+C instead.
			input.current?.select();
			setCopied("Copying was not allowed here: the text is selected, press Ctrl+C (⌘C).");
		}
	};
	return (
		<div class="secret-once" role="group" aria-labelledby={`${props.id}-label`}>
			<p class="secret-warning">
				<strong>Shown once.</strong> {props.warning}
			</p>
			<div class="secret-row">
				<label id={`${props.id}-label`} for={props.id}>
					{props.label}
				</label>
				<input
					id={props.id}
					ref={input}
					class="mono secret-value"
					readOnly
					value={props.secret}
					onFocus={(e) => e.currentTarget.select()}
				/>
				<button type="button" onClick={() => void copy()}>
					Copy
				</button>
				<button type="button" onClick={props.onDone}>
					Done, hide it
				</button>
			</div>
			<p class="small" role="status">
				{copied}
			</p>
		</div>
	);
}

export function KeysSection(props: { game: string }) {
	const path = `/v1/admin/games/${encodeURIComponent(props.game)}/keys`;
	const [keys, setKeys] = useResource<{ keys: ApiKey[] }>(path);
	const [name, setName] = useState("");
	const [scopes, setScopes] = useState<string[]>(KEY_SCOPES.map((s) => s.id));
	const [created, setCreated] = useState<CreatedKey | undefined>(undefined);
	const [confirming, setConfirming] = useState<string | undefined>(undefined);
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const [busy, setBusy] = useState(false);

	const create = async (e: Event) => {
		e.preventDefault();
		if (scopes.length === 0) {
			setFeedback({ kind: "error", text: "Pick at least one scope." });
			return;
		}
		setBusy(true);
		try {
			const answer = await sendJson<CreatedKey>("POST", path, {
				...(name.trim() ? { name: name.trim() } : {}),
				scopes,
			});
			setKeys((k) => ({ keys: [...k.keys, answer.key] }));
			setCreated(answer);
			setName("");
			setFeedback({ kind: "ok", text: `Key ${answer.key.id} created.` });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setBusy(false);
		}
	};
	const revoke = async (id: string) => {
		setBusy(true);
		try {
			const revoked = await sendJson<ApiKey>("POST", `/v1/admin/keys/${encodeURIComponent(id)}/revoke`);
			setKeys((k) => ({ keys: k.keys.map((key) => (key.id === id ? revoked : key)) }));
			setFeedback({ kind: "ok", text: `Key ${id} revoked: game servers using it are refused from now on.` });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setConfirming(undefined);
			setBusy(false);
		}
	};

	return (
		<SettingsSection
			id="settings-keys"
			title={`Keys of game ${props.game}`}
			lead="Game servers exchange a key for short-lived tokens. Store it as the experience secret vantage_game_key."
		>
			{keys.status === "loading" ? <Loading label="Loading the keys…" /> : null}
			{keys.status === "failed" ? <Failed what="the keys" error={keys.error} onRetry={keys.retry} /> : null}
			{keys.status === "done" && keys.data.keys.length === 0 ? <p class="muted">No key yet.</p> : null}
			{keys.status === "done" && keys.data.keys.length > 0 ? (
				<div class="table-scroll">
					<table class="data-table keys-table">
						<thead>
							<tr>
								<th scope="col">Key id</th>
								<th scope="col">Name</th>
								<th scope="col">Scopes</th>
								<th scope="col">Created</th>
								<th scope="col">State</th>
								<th scope="col">
									<span class="visually-hidden">Actions</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{keys.data.keys.map((key) => (
								<tr key={key.id} data-key-id={key.id}>
									<td class="mono">{key.id}</td>
									<td>{key.name || <span class="muted">—</span>}</td>
									<td>{key.scopes.join(", ")}</td>
									<td>{shortDate(key.createdAt)}</td>
									<td>{keyState(key)}</td>
									<td class="nowrap">
										{key.revokedAt !== null ? null : confirming === key.id ? (
											<>
												<button type="button" class="danger" disabled={busy} onClick={() => void revoke(key.id)}>
													Revoke {key.id} for good
												</button>{" "}
												<button type="button" onClick={() => setConfirming(undefined)}>
													Cancel
												</button>
											</>
										) : (
											<button type="button" aria-label={`Revoke key ${key.id}`} onClick={() => setConfirming(key.id)}>
												Revoke
											</button>
										)}
									</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			) : null}
			{created ? (
				<SecretOnce
					id="new-key"
					label={`New key ${keyPrefix(created.apiKey)}`}
					secret={created.apiKey}
					warning="Copy this key now: Vantage keeps only its hash, so it cannot be shown again. Afterwards only its id is visible here."
					onDone={() => setCreated(undefined)}
				/>
			) : null}
			<form class="settings-form" onSubmit={create} aria-label="Create a key">
				<div class="field">
					<label for="key-name">Key name (optional)</label>
					<input
						id="key-name"
						value={name}
						maxLength={128}
						placeholder="production"
						size={16}
						onInput={(e) => setName(e.currentTarget.value)}
					/>
				</div>
				<fieldset class="scopes">
					<legend>Scopes</legend>
					{KEY_SCOPES.map((s) => (
						<label key={s.id} class="check">
							<input
								type="checkbox"
								checked={scopes.includes(s.id)}
								onChange={(e) =>
									setScopes(e.currentTarget.checked ? [...scopes, s.id] : scopes.filter((x) => x !== s.id))
								}
							/>{" "}
							{s.label}
						</label>
					))}
				</fieldset>
				<button type="submit" disabled={busy}>
					Create key
				</button>
			</form>
			<FeedbackLine feedback={feedback} />
		</SettingsSection>
	);
}

export function UsersSection(props: { selfEmail: string; game: string; onGranted: () => void }) {
	const [users, setUsers] = useResource<{ users: AdminUser[] }>("/v1/admin/users");
	const [email, setEmail] = useState("");
	const [role, setRole] = useState<Role | "">("viewer");
	const [admin, setAdmin] = useState(false);
	const [password, setPassword] = useState("");
	const [generated, setGenerated] = useState<{ email: string; password: string } | undefined>(undefined);
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const [busy, setBusy] = useState(false);

	const create = async (e: Event) => {
		e.preventDefault();
		const problem = checkNewUser({ email, password });
		if (problem) {
			setFeedback({ kind: "error", text: problem });
			return;
		}
		setBusy(true);
		try {
			const answer = await sendJson<CreatedUser>("POST", "/v1/admin/users", {
				email: email.trim(),
				admin,
				games: role ? [{ gameId: props.game, role }] : [],
				...(password ? { password } : {}),
			});
			setUsers((u) => ({ users: [...u.users, answer.user] }));
			setGenerated(
				answer.generatedPassword ? { email: answer.user.email, password: answer.generatedPassword } : undefined,
			);
			setEmail("");
			setPassword("");
			setAdmin(false);
			const what = [admin ? "instance admin" : "", role ? `${role} of game ${props.game}` : ""].filter(Boolean);
			setFeedback({
				kind: "ok",
				text: `${answer.user.email} can now sign in${what.length ? ` as ${what.join(" and ")}` : ", with no game yet"}.`,
			});
			if (role) props.onGranted();
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setBusy(false);
		}
	};
	const update = async (user: AdminUser, change: { admin?: boolean; disabled?: boolean }, done: string) => {
		setBusy(true);
		try {
			const updated = await sendJson<AdminUser>("PATCH", `/v1/admin/users/${encodeURIComponent(user.id)}`, change);
			setUsers((u) => ({ users: u.users.map((x) => (x.id === user.id ? updated : x)) }));
			setFeedback({ kind: "ok", text: done });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setBusy(false);
		}
	};

	return (
		<SettingsSection
			id="settings-users"
			title="Users"
			lead="Everyone who can sign in. An instance admin adds games and users and is owner of every game; everyone else sees only the games they have a role on (Members). Changes apply to the user's next request."
		>
			{users.status === "loading" ? <Loading label="Loading the users…" /> : null}
			{users.status === "failed" ? <Failed what="the users" error={users.error} onRetry={users.retry} /> : null}
			{users.status === "done" ? (
				<div class="table-scroll">
					<table class="data-table users-table">
						<thead>
							<tr>
								<th scope="col">Email</th>
								<th scope="col">Instance admin</th>
								<th scope="col">Created</th>
								<th scope="col">State</th>
								<th scope="col">
									<span class="visually-hidden">Actions</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{users.data.users.map((user) => {
								const self = user.email === props.selfEmail;
								return (
									<tr key={user.id} data-user-email={user.email}>
										<td class="break">
											{user.email}
											{self ? <span class="muted small"> (you)</span> : null}
										</td>
										<td>
											{self ? (
												user.admin ? (
													"Yes"
												) : (
													"No"
												)
											) : (
												<input
													type="checkbox"
													aria-label={`${user.email} is an instance admin`}
													checked={user.admin}
													disabled={busy}
													onChange={(e) => {
														const next = e.currentTarget.checked;
														const done = `${user.email} is ${next ? "now" : "no longer"} an instance admin.`;
														void update(user, { admin: next }, done);
													}}
												/>
											)}
										</td>
										<td>{shortDate(user.createdAt)}</td>
										<td>{user.disabledAt === null ? "Active" : `Disabled ${shortDate(user.disabledAt)}`}</td>
										<td>
											{self ? null : (
												<button
													type="button"
													disabled={busy}
													aria-label={`${user.disabledAt === null ? "Disable" : "Enable"} ${user.email}`}
													onClick={() =>
														void update(
															user,
															{ disabled: user.disabledAt === null },
															user.disabledAt === null
																? `${user.email} is disabled: their sessions and tokens stopped working.`
																: `${user.email} is enabled again.`,
														)
													}
												>
													{user.disabledAt === null ? "Disable" : "Enable"}
												</button>
											)}
										</td>
									</tr>
								);
							})}
						</tbody>
					</table>
				</div>
			) : null}
			{generated ? (
				<SecretOnce
					id="new-password"
					label={`Password of ${generated.email}`}
					secret={generated.password}
					warning="Give this password to the user now (over a private channel): it cannot be shown again."
					onDone={() => setGenerated(undefined)}
				/>
			) : null}
			<form class="settings-form" onSubmit={create} aria-label="Add a user">
				<div class="field">
					<label for="user-email">Email</label>
					<input
						id="user-email"
						type="email"
						value={email}
						autoComplete="off"
						maxLength={320}
						onInput={(e) => setEmail(e.currentTarget.value)}
					/>
				</div>
				<div class="field">
					<label for="user-role">Role</label>
					<select
						id="user-role"
						value={role}
						aria-describedby="user-role-help"
						onChange={(e) => setRole(e.currentTarget.value as Role | "")}
					>
						{ADMIN_ROLES.map((r) => (
							<option key={r} value={r}>
								{r} — {ROLE_HELP[r]}
							</option>
						))}
						<option value="">none on this game</option>
					</select>
				</div>
				<label class="check">
					<input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} /> Instance admin
				</label>
				<div class="field">
					<label for="user-password">Initial password (optional)</label>
					<input
						id="user-password"
						type="password"
						value={password}
						autoComplete="new-password"
						maxLength={1024}
						placeholder="generate one"
						aria-describedby="user-password-help"
						onInput={(e) => setPassword(e.currentTarget.value)}
					/>
				</div>
				<button type="submit" disabled={busy}>
					Add user
				</button>
			</form>
			<p id="user-role-help" class="muted small">
				The role is on game {props.game}; other games are shared from their own Members section.
			</p>
			<p id="user-password-help" class="muted small">
				12 characters or more; leave it empty and a strong one is generated and shown once.
			</p>
			<FeedbackLine feedback={feedback} />
		</SettingsSection>
	);
}

/**
 * Who may open the game, with which role: grants (a role select and a revoke button each) and the instance admins
 * (owner of every game, changed in Users). An owner gives an existing user a role by email. Nobody changes their own
 * row: the API refuses it (409), so an owner cannot leave the game without one by mistake.
 */
export function MembersSection(props: { game: string; selfEmail: string }) {
	const path = `/v1/admin/games/${encodeURIComponent(props.game)}/members`;
	const [members, setMembers] = useResource<{ members: GameMember[] }>(path);
	const [email, setEmail] = useState("");
	const [role, setRole] = useState<Role>("viewer");
	const [confirming, setConfirming] = useState<string | undefined>(undefined);
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const [busy, setBusy] = useState(false);

	const put = (member: GameMember) =>
		setMembers((m) => ({
			members: [...m.members.filter((x) => x.userId !== member.userId), member].sort((a, b) =>
				a.email.localeCompare(b.email),
			),
		}));
	const grant = async (target: string, next: Role) => {
		setBusy(true);
		try {
			put(await sendJson<GameMember>("POST", path, { email: target, role: next }));
			setFeedback({ kind: "ok", text: `${target} is now ${next} of game ${props.game}.` });
			return true;
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
			return false;
		} finally {
			setBusy(false);
		}
	};
	const add = async (e: Event) => {
		e.preventDefault();
		if (!email.trim().includes("@")) {
			setFeedback({ kind: "error", text: "Enter the email of an existing user (an admin adds users)." });
			return;
		}
		if (await grant(email.trim().toLowerCase(), role)) setEmail("");
	};
	const revoke = async (member: GameMember) => {
		setBusy(true);
		try {
			await sendJson<unknown>("DELETE", `${path}/${encodeURIComponent(member.userId)}`);
			setMembers((m) => ({ members: m.members.filter((x) => x.userId !== member.userId) }));
			setFeedback({ kind: "ok", text: `${member.email} no longer sees game ${props.game}.` });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setConfirming(undefined);
			setBusy(false);
		}
	};

	return (
		<SettingsSection
			id="settings-members"
			title={`Members of game ${props.game}`}
			lead="Only members see this game; to everyone else it does not exist. Changes apply to the member's next request."
		>
			{members.status === "loading" ? <Loading label="Loading the members…" /> : null}
			{members.status === "failed" ? <Failed what="the members" error={members.error} onRetry={members.retry} /> : null}
			{members.status === "done" ? (
				<div class="table-scroll">
					<table class="data-table members-table">
						<thead>
							<tr>
								<th scope="col">Email</th>
								<th scope="col">Role</th>
								<th scope="col">State</th>
								<th scope="col">
									<span class="visually-hidden">Actions</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{members.data.members.map((member) => {
								const fixed = member.email === props.selfEmail || member.via === "admin";
								return (
									<tr key={member.userId} data-member-email={member.email}>
										<td class="break">
											{member.email}
											{member.email === props.selfEmail ? <span class="muted small"> (you)</span> : null}
										</td>
										<td>
											{fixed ? (
												`${member.role}${member.via === "admin" ? " (instance admin)" : ""}`
											) : (
												<select
													aria-label={`Role of ${member.email}`}
													value={member.role}
													disabled={busy}
													onChange={(e) => void grant(member.email, e.currentTarget.value as Role)}
												>
													{ADMIN_ROLES.map((r) => (
														<option key={r} value={r}>
															{r}
														</option>
													))}
												</select>
											)}
										</td>
										<td>{member.disabled ? "Disabled" : "Active"}</td>
										<td class="nowrap">
											{fixed ? null : confirming === member.userId ? (
												<>
													<button type="button" class="danger" disabled={busy} onClick={() => void revoke(member)}>
														Remove {member.email} from the game
													</button>{" "}
													<button type="button" onClick={() => setConfirming(undefined)}>
														Cancel
													</button>
												</>
											) : (
												<button
													type="button"
													aria-label={`Revoke ${member.email}`}
													onClick={() => setConfirming(member.userId)}
												>
													Revoke
												</button>
											)}
										</td>
									</tr>
								);
							})}
						</tbody>
					</table>
				</div>
			) : null}
			<form class="settings-form" onSubmit={add} aria-label="Add a member">
				<div class="field">
					<label for="member-email">Member email</label>
					<input
						id="member-email"
						type="email"
						value={email}
						autoComplete="off"
						maxLength={320}
						onInput={(e) => setEmail(e.currentTarget.value)}
					/>
				</div>
				<div class="field">
					<label for="member-role">Member role</label>
					<select id="member-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
						{ADMIN_ROLES.map((r) => (
							<option key={r} value={r}>
								{r} — {ROLE_HELP[r]}
							</option>
						))}
					</select>
				</div>
				<button type="submit" disabled={busy}>
					Grant
				</button>
			</form>
			<FeedbackLine feedback={feedback} />
		</SettingsSection>
	);
}
