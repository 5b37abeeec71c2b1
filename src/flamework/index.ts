/**
 * The Vantage SDK for Flamework games: `import { VantageService, VantageController } from "@rbxts/vantage/flamework"`.
 * A game that does not import this module loads neither it nor Flamework.
 *
 * @example
 * ```ts
 * import { Flamework } from "@flamework/core";
 * import { VantageService } from "@rbxts/vantage/flamework";
 *
 * VantageService.configure({ endpoint: "https://vantage.example.com" });
 * Flamework.addPaths("src/server/services");
 * Flamework.ignite();
 * ```
 */
export { VantageService } from "./vantage-service";
export { VantageController } from "./vantage-controller";
