// Settings: the game's time zone, raw-event retention and daily digest webhook; the games; for the game's owners, its
// keys and members (who may open it, with which role); for instance admins, the users (settings-access.tsx). Everyone
// reads what the API lets their role read; only owners see forms, and the API refuses any change from anyone else.
import { useMemo, useState } from "preact/hooks";
import { sendJson } from "../api.js";
import { Failed, Loading } from "../components/states.js";
import type { PageProps } from "./index.js";
import { KeysSection, MembersSection, UsersSection } from "./settings-access.js";
import { AccountSection } from "./settings-account.js";
import {
	ROLE_HELP,
	browserTimeZones,
	canManage,
	checkWebhookUrl,
	describeTestDigest,
	settingsChanges,
	shortDate,
	timeZoneOptions,
	type Game,
	type GameSettings,
	type TestDigestResult,
} from "./settings-data.js";
import { FeedbackLine, SettingsSection, errorText, useResource, type Feedback } from "./settings-ui.js";

export function SettingsPage({ state, session }: PageProps) {
	const game = state.game;
	const owner = canManage(session.role);
	// Adding a user with a role on this game changes its members: the members list loads again.
	const [membersVersion, setMembersVersion] = useState(0);
	const [settings, setSettings] = useResource<GameSettings>(`/v1/admin/games/${encodeURIComponent(game)}/settings`);
	return (
		<div class="admin-page settings-page">
			<header class="page-head">
				<h1>Settings</h1>
				<p class="muted">
					You are {session.role === "viewer" ? "a" : "an"} {session.role} of this game: {ROLE_HELP[session.role]}.
					{session.admin ? " As an instance admin you also add games and users." : ""}
					{owner ? "" : " Only owners change settings; ask one if something here needs to change."}
				</p>
			</header>
			{owner ? (
				<nav class="settings-nav" aria-label="Settings sections">
					<a href="#section-settings-game">Game</a> <a href="#section-settings-digest">Digest</a>{" "}
					<a href="#section-settings-games">Games</a> <a href="#section-settings-keys">Keys</a>{" "}
					<a href="#section-settings-members">Members</a>
					{session.admin ? (
						<>
							{" "}
							<a href="#section-settings-users">Users</a>
						</>
					) : null}
				</nav>
			) : null}
			{settings.status === "loading" ? <Loading label="Loading the game's settings…" /> : null}
			{settings.status === "failed" ? (
				<Failed what="the game's settings" error={settings.error} onRetry={settings.retry} />
			) : null}
			{settings.status === "done" ? (
				<>
					<GameSettingsSection settings={settings.data} owner={owner} onSaved={(saved) => setSettings(() => saved)} />
					<DigestSection settings={settings.data} owner={owner} onSaved={(saved) => setSettings(() => saved)} />
				</>
			) : null}
			<GamesSection owner={session.admin} current={game} />
			<AccountSection />
			{owner ? (
				<>
					<KeysSection game={game} />
					<MembersSection key={membersVersion} game={game} selfEmail={session.email} />
				</>
			) : null}
			{session.admin ? (
				<UsersSection selfEmail={session.email} game={game} onGranted={() => setMembersVersion((v) => v + 1)} />
			) : null}
		</div>
	);
}

function GameSettingsSection(props: { settings: GameSettings; owner: boolean; onSaved: (s: GameSettings) => void }) {
	const { settings } = props;
	const [timeZone, setTimeZone] = useState(settings.timeZone);
	const [retention, setRetention] = useState(
		settings.rawRetentionDays === null ? "" : String(settings.rawRetentionDays),
	);
	const [digestHour, setDigestHour] = useState(String(settings.digestHour));
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const [busy, setBusy] = useState(false);
	const zones = useMemo(() => timeZoneOptions(settings.timeZone, browserTimeZones()), [settings.timeZone]);
	const retentionText =
		settings.rawRetentionDays === null ? "kept forever" : `${settings.rawRetentionDays} days, then deleted`;

	if (!props.owner) {
		return (
			<SettingsSection id="settings-game" title={`Game ${settings.gameId}`}>
				<dl class="facts">
					<div>
						<dt>Time zone</dt>
						<dd>{settings.timeZone}</dd>
					</div>
					<div>
						<dt>Raw events</dt>
						<dd>{retentionText}</dd>
					</div>
					<div>
						<dt>Digest hour</dt>
						<dd>{settings.digestHour}:00</dd>
					</div>
				</dl>
			</SettingsSection>
		);
	}

	const save = async (e: Event) => {
		e.preventDefault();
		const result = settingsChanges(settings, { timeZone, retention, digestHour });
		if ("error" in result) {
			setFeedback({ kind: "error", text: result.error });
			return;
		}
		if (Object.keys(result.changes).length === 0) {
			setFeedback({ kind: "ok", text: "Nothing changed." });
			return;
		}
		setBusy(true);
		try {
			const saved = await sendJson<GameSettings>(
				"PATCH",
				`/v1/admin/games/${encodeURIComponent(settings.gameId)}/settings`,
				result.changes,
			);
			props.onSaved(saved);
			const zoneNote =
				result.changes.timeZone === undefined
					? ""
					: ` The game's days now follow ${saved.timeZone}: its metrics are rebuilt in the background (partial for a moment); reload to see today's date in it.`;
			setFeedback({ kind: "ok", text: `Saved.${zoneNote}` });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setBusy(false);
		}
	};

	return (
		<SettingsSection
			id="settings-game"
			title={`Game ${settings.gameId}`}
			lead="The time zone decides where the game's days start, for daily metrics and the digest."
		>
			<form class="settings-form" onSubmit={save}>
				<div class="field">
					<label for="settings-tz">Time zone</label>
					<select id="settings-tz" value={timeZone} onChange={(e) => setTimeZone(e.currentTarget.value)}>
						{zones.map((z) => (
							<option key={z} value={z}>
								{z}
							</option>
						))}
					</select>
				</div>
				<div class="field">
					<label for="settings-retention">Keep raw events (days)</label>
					<input
						id="settings-retention"
						inputMode="numeric"
						value={retention}
						placeholder="forever"
						size={8}
						aria-describedby="settings-retention-help"
						onInput={(e) => setRetention(e.currentTarget.value)}
					/>
				</div>
				<div class="field">
					<label for="settings-hour">Digest hour</label>
					<select id="settings-hour" value={digestHour} onChange={(e) => setDigestHour(e.currentTarget.value)}>
						{Array.from({ length: 24 }, (_, h) => (
							<option key={h} value={String(h)}>
								{String(h).padStart(2, "0")}:00
							</option>
						))}
					</select>
				</div>
				<button type="submit" disabled={busy}>
					Save settings
				</button>
			</form>
			<p id="settings-retention-help" class="muted small">
				Empty keeps raw events forever; 1 to 3650 deletes older ones every 10 minutes (the daily totals stay). Now:{" "}
				{retentionText}.
			</p>
			<FeedbackLine feedback={feedback} />
		</SettingsSection>
	);
}

function DigestSection(props: { settings: GameSettings; owner: boolean; onSaved: (s: GameSettings) => void }) {
	const { settings } = props;
	const [url, setUrl] = useState("");
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const [busy, setBusy] = useState(false);
	const path = `/v1/admin/games/${encodeURIComponent(settings.gameId)}`;

	const change = async (digestWebhookUrl: string | null, done: string) => {
		setBusy(true);
		try {
			props.onSaved(await sendJson<GameSettings>("PATCH", `${path}/settings`, { digestWebhookUrl }));
			setUrl("");
			setFeedback({ kind: "ok", text: done });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setBusy(false);
		}
	};
	const test = async () => {
		setBusy(true);
		setFeedback({ kind: "ok", text: "Sending a test digest…" });
		try {
			const result = await sendJson<TestDigestResult>("POST", `${path}/digest/test`);
			setFeedback({ kind: result.outcome === "delivered" ? "ok" : "error", text: describeTestDigest(result) });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setBusy(false);
		}
	};

	return (
		<SettingsSection
			id="settings-digest"
			title="Daily digest"
			lead={`Yesterday's numbers are posted to a Discord (or compatible) webhook once the game's clock passes ${settings.digestHour}:00.`}
		>
			<p>
				Webhook:{" "}
				{settings.digestWebhookUrl ? (
					<code data-testid="webhook-masked">{settings.digestWebhookUrl}</code>
				) : (
					<span class="muted">not set: no digest is sent</span>
				)}
			</p>
			{settings.digestWebhookUrl ? (
				<p class="muted small">The URL holds a secret, so it is only ever shown masked.</p>
			) : null}
			{props.owner ? (
				<>
					<form
						class="settings-form"
						onSubmit={(e) => {
							e.preventDefault();
							const checked = checkWebhookUrl(url);
							if ("error" in checked) setFeedback({ kind: "error", text: checked.error });
							else void change(checked.url, "Webhook saved.");
						}}
					>
						<div class="field field-wide">
							<label for="settings-webhook">{settings.digestWebhookUrl ? "New webhook URL" : "Webhook URL"}</label>
							<input
								id="settings-webhook"
								type="url"
								value={url}
								autoComplete="off"
								placeholder="https://discord.com/api/webhooks/…"
								onInput={(e) => setUrl(e.currentTarget.value)}
							/>
						</div>
						<button type="submit" disabled={busy}>
							Save webhook
						</button>
					</form>
					{settings.digestWebhookUrl ? (
						<div class="button-row">
							<button type="button" disabled={busy} onClick={() => void test()}>
								Send a test digest
							</button>
							<button
								type="button"
								disabled={busy}
								onClick={() => void change(null, "Webhook removed: no digest is sent.")}
							>
								Remove webhook
							</button>
						</div>
					) : null}
					<FeedbackLine feedback={feedback} />
				</>
			) : null}
		</SettingsSection>
	);
}

/** The games, and for owners a form to add one (also shown by the shell while there is no game at all). */
export function GamesSection(props: { owner: boolean; current: string }) {
	const [games, setGames] = useResource<{ games: Game[] }>("/v1/admin/games");
	const [id, setId] = useState("");
	const [name, setName] = useState("");
	const [created, setCreated] = useState<Game | undefined>(undefined);
	const [feedback, setFeedback] = useState<Feedback>(undefined);
	const [busy, setBusy] = useState(false);

	const create = async (e: Event) => {
		e.preventDefault();
		if (!/^[A-Za-z0-9_-]{1,64}$/.test(id.trim())) {
			setFeedback({ kind: "error", text: "A game id is 1 to 64 of A-Z a-z 0-9 _ - (use the Roblox universe id)." });
			return;
		}
		setBusy(true);
		try {
			const body = { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) };
			const game = await sendJson<Game>("POST", "/v1/admin/games", body);
			setGames((g) => ({ games: [...g.games, game].sort((a, b) => (a.id < b.id ? -1 : 1)) }));
			setCreated(game);
			setId("");
			setName("");
			setFeedback({ kind: "ok", text: `Game ${game.id} created.` });
		} catch (error) {
			setFeedback({ kind: "error", text: errorText(error) });
		} finally {
			setBusy(false);
		}
	};

	return (
		<SettingsSection id="settings-games" title="Games">
			{games.status === "loading" ? <Loading label="Loading the games…" /> : null}
			{games.status === "failed" ? <Failed what="the games" error={games.error} onRetry={games.retry} /> : null}
			{games.status === "done" ? (
				<div class="table-scroll">
					<table class="data-table">
						<thead>
							<tr>
								<th scope="col">Id</th>
								<th scope="col">Name</th>
								<th scope="col">Created</th>
							</tr>
						</thead>
						<tbody>
							{games.data.games.map((g) => (
								<tr key={g.id} aria-current={g.id === props.current ? "true" : undefined}>
									<td class="mono">{g.id}</td>
									<td>
										{g.name}
										{g.id === props.current ? <span class="muted small"> (shown now)</span> : null}
									</td>
									<td>{shortDate(g.createdAt)}</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			) : null}
			{props.owner ? (
				<>
					<form class="settings-form" onSubmit={create} aria-label="Add a game">
						<div class="field">
							<label for="game-id">New game id</label>
							<input
								id="game-id"
								value={id}
								maxLength={64}
								placeholder="universe id"
								size={14}
								onInput={(e) => setId(e.currentTarget.value)}
							/>
						</div>
						<div class="field">
							<label for="game-name">Name (optional)</label>
							<input
								id="game-name"
								value={name}
								maxLength={128}
								size={18}
								onInput={(e) => setName(e.currentTarget.value)}
							/>
						</div>
						<button type="submit" disabled={busy}>
							Add game
						</button>
					</form>
					<FeedbackLine feedback={feedback} />
					{created ? (
						<p class="small">
							<a href={`/?page=settings&game=${encodeURIComponent(created.id)}`}>Open game {created.id}'s settings</a>{" "}
							to create its first key.
						</p>
					) : null}
				</>
			) : null}
		</SettingsSection>
	);
}
