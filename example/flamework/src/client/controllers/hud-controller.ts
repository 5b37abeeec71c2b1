import { Controller, OnStart } from "@flamework/core";
import { VantageController } from "@rbxts/vantage/flamework";

/** The lobby HUD: shows the daily reward the player's variant gives, and reports that the player saw it. */
@Controller()
export class HudController implements OnStart {
	constructor(private readonly vantage: VantageController) {}

	onStart() {
		// The server replicates this player's variants (the client makes no request): wait for them, at most 5 s.
		this.vantage.waitForVariants(5);
		// getVariant on the client never yields; its first read logs the exposure (once, with the server's reads).
		const reward = this.vantage.getVariant("daily-reward").key === "double" ? 200 : 100;
		this.vantage.track("hud_opened", { screen: "lobby", reward });
	}
}
