// The thin shell between sessions and Roblox: reads a Player's properties and join data, the server's identity, and
// the player's country. Everything here tolerates errors; a fact that cannot be read is left out.
import { LocalizationService, Players, RunService } from "@rbxts/services";
import { Props } from "../../shared/protocol";
import { version } from "../../shared/version";
import { FirstVisitStore } from "./first-visit";
import { PlayerFacts, SessionSources } from "./sessions";

/** Longest launch data kept (deep-link payloads can be long; campaigns fit easily). */
const MAX_LAUNCH_DATA = 256;
/** Attempts of the country lookup, and the pause between them. */
const COUNTRY_ATTEMPTS = 2;
const COUNTRY_RETRY_SECONDS = 2;

/** Join facts from Player:GetJoinData(): where the player came from (teleport, referral, deep link). */
function joinFacts(player: Player): Props {
	const join: Props = {};
	const [ok, data] = pcall(() => player.GetJoinData());
	if (!ok || !typeIs(data, "table")) return join;
	// Player:GetJoinData: SourcePlaceId is present only after a teleport from another place.
	join.teleported = typeIs(data.SourcePlaceId, "number");
	if (typeIs(data.SourcePlaceId, "number")) join.sourcePlaceId = data.SourcePlaceId;
	if (typeIs(data.ReferredByPlayerId, "number") && data.ReferredByPlayerId > 0) {
		join.referredBy = data.ReferredByPlayerId;
	}
	if (typeIs(data.LaunchData, "string") && data.LaunchData.size() > 0) {
		join.launchData = data.LaunchData.sub(1, MAX_LAUNCH_DATA);
	}
	return join;
}

/** Instant facts of a Player. */
export function readPlayerFacts(player: Player): PlayerFacts {
	return {
		userId: player.UserId,
		accountAge: player.AccountAge,
		premium: player.MembershipType === Enum.MembershipType.Premium,
		locale: player.LocaleId,
		join: joinFacts(player),
	};
}

/**
 * The player's country. LocalizationService:GetCountryRegionForPlayerAsync yields and can error; one retry, then
 * the country stays unknown.
 */
export function lookupCountry(player: Player): string | undefined {
	for (let attempt = 1; attempt <= COUNTRY_ATTEMPTS; attempt++) {
		const [ok, country] = pcall(() => LocalizationService.GetCountryRegionForPlayerAsync(player));
		if (ok && typeIs(country, "string")) return country;
		if (player.Parent === undefined) return undefined;
		if (attempt < COUNTRY_ATTEMPTS) task.wait(COUNTRY_RETRY_SECONDS);
	}
	return undefined;
}

/**
 * What kind of server this is. DataModel.PrivateServerId is "" on public servers; a reserved server
 * (TeleportService:ReserveServer) has a PrivateServerId but PrivateServerOwnerId 0; a private (VIP) server has both.
 */
export function serverType(): "public" | "private" | "reserved" {
	if (game.PrivateServerId === "") return "public";
	return game.PrivateServerOwnerId === 0 ? "reserved" : "private";
}

/** Facts about this server, on the server session and on every player session. */
export function readServerFacts(): Props {
	return {
		jobId: game.JobId,
		placeId: game.PlaceId,
		placeVersion: game.PlaceVersion,
		serverType: serverType(),
		studio: RunService.IsStudio(),
		// The SDK version this server runs: the backend's KPI anomalies follow the version mix (a rollback shows).
		sdkVersion: version,
	};
}

/** The real session sources: Player properties, LocalizationService and the first-visit DataStore. */
export function robloxSessionSources(firstVisits: FirstVisitStore | undefined): SessionSources {
	return {
		facts: readPlayerFacts,
		present: (player) => player.Parent === Players,
		country: lookupCountry,
		firstVisit: (userId) => firstVisits?.lookup(userId),
	};
}
