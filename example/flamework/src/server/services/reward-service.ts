import { OnStart, Service } from "@flamework/core";
import { Players } from "@rbxts/services";
import { VantageService } from "@rbxts/vantage/flamework";

/** Gives each joining player a daily reward whose size is an experiment. */
@Service()
export class RewardService implements OnStart {
	constructor(private readonly vantage: VantageService) {}

	onStart() {
		Players.PlayerAdded.Connect((player) => {
			// getVariant never yields: it hashes the player into a variation of the running experiment.
			const variant = this.vantage.getVariant(player, "daily-reward");
			const coins = variant.key === "double" ? 200 : 100;
			this.vantage.track(player, "daily_reward", { coins, variation: variant.key ?? "none" });
		});
	}
}
