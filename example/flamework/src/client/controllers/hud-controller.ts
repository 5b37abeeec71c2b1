import { Controller, OnStart } from "@flamework/core";
import { VantageController } from "@rbxts/vantage/flamework";

/** The lobby HUD: reports that the player saw it. */
@Controller()
export class HudController implements OnStart {
	constructor(private readonly vantage: VantageController) {}

	onStart() {
		this.vantage.track("hud_opened", { screen: "lobby" });
	}
}
