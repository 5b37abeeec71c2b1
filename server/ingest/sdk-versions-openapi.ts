// The SDK version check in the OpenAPI document: the `sdk` of each game in GET /v1/admin/games (see sdk-versions.ts).
import type { z } from "zod";
import { gameSdkSchema, sdkVersionSeenSchema } from "./sdk-versions.js";

export const SDK_VERSION_COMPONENTS: Record<string, z.ZodType> = {
	GameSdk: gameSdkSchema,
	SdkVersionSeen: sdkVersionSeenSchema,
};

/** The games list's 200 description: what `sdk` tells and where the dashboard shows it. */
export const GAMES_LIST_DESCRIPTION =
	"Games by id. Each has `sdk`: the SDK versions its servers' batches carry (within the last 24 hours, since this " +
	"backend started) against `latest`, the version this backend was built with; `outdated` is true while some server " +
	"runs an older SDK (the dashboard's overview then shows a notice, and the log warned once per game and version).";
