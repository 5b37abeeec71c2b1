import type { Migration } from "./migrations.js";

/**
 * Version 9: consent (issue 12) — policy versions, consent records (the proof of each choice), anonymous tallies, and
 * each game's default consent mode outside the opt-in regions.
 * - consent_policies is append-only (triggers refuse UPDATE and DELETE): a record names the version it was given
 *   under, so a version's text must never change after the fact; a change is a new version.
 * - consent_records is append-only too (UPDATE refused). DELETE stays possible for one reason: a player's erasure
 *   removes their records (server/privacy). Player, time and policy version are clear columns (finding a player's
 *   records, counting players per version); the choice is `details`, sealed with the player's key, whose key lives in
 *   player-keys.db (server/privacy/player-keys.ts), so copies of this file cannot reveal it once the key is shredded.
 *   The primary key is the consent event's (game_id, id): a resent event never makes a second record.
 * - consent_tallies counts records per (policy version, source, choice) without any player: the dashboard's summary
 *   reads it instead of unsealing every record. An erasure takes the player's records out of it (read with their key).
 * - game_settings.consent_default: 'opt-in' unless the owner chooses 'opt-out'; regions with their own rule (EEA, UK,
 *   CH) are opt-in whatever it says.
 */
export const CONSENT_MIGRATION: Migration = {
	version: 9,
	name: "consent",
	up: `
		CREATE TABLE consent_policies (
			game_id TEXT NOT NULL REFERENCES games (id),
			version TEXT NOT NULL,
			summary TEXT,
			url TEXT,
			effective_at INTEGER NOT NULL,
			created_at INTEGER NOT NULL,
			created_by TEXT NOT NULL,
			CHECK (summary IS NOT NULL OR url IS NOT NULL),
			PRIMARY KEY (game_id, version)
		) STRICT, WITHOUT ROWID;
		CREATE INDEX consent_policies_effective ON consent_policies (game_id, effective_at);
		CREATE TRIGGER consent_policies_no_update BEFORE UPDATE ON consent_policies
		BEGIN SELECT RAISE(ABORT, 'consent_policies is append-only: publish a new version instead'); END;
		CREATE TRIGGER consent_policies_no_delete BEFORE DELETE ON consent_policies
		BEGIN SELECT RAISE(ABORT, 'consent_policies is append-only: records refer to every version'); END;

		CREATE TABLE consent_records (
			game_id TEXT NOT NULL REFERENCES games (id),
			event_id TEXT NOT NULL,
			user_id INTEGER NOT NULL CHECK (user_id > 0),
			time INTEGER NOT NULL,
			received_at INTEGER NOT NULL,
			policy_version TEXT NOT NULL,
			details BLOB NOT NULL,
			PRIMARY KEY (game_id, event_id)
		) STRICT, WITHOUT ROWID;
		CREATE INDEX consent_records_player ON consent_records (game_id, user_id, time);
		CREATE TRIGGER consent_records_append_only BEFORE UPDATE ON consent_records
		BEGIN SELECT RAISE(ABORT, 'consent_records is append-only'); END;

		CREATE TABLE consent_tallies (
			game_id TEXT NOT NULL REFERENCES games (id),
			policy_version TEXT NOT NULL,
			source TEXT NOT NULL CHECK (source IN ('prompt', 'api', 'withdrawal')),
			analytics INTEGER NOT NULL CHECK (analytics IN (0, 1)),
			experiments INTEGER NOT NULL CHECK (experiments IN (0, 1)),
			personalization INTEGER NOT NULL CHECK (personalization IN (0, 1)),
			records INTEGER NOT NULL,
			PRIMARY KEY (game_id, policy_version, source, analytics, experiments, personalization)
		) STRICT, WITHOUT ROWID;

		ALTER TABLE game_settings ADD COLUMN consent_default TEXT NOT NULL DEFAULT 'opt-in'
			CHECK (consent_default IN ('opt-in', 'opt-out'));
	`,
};
