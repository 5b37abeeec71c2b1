import { Players } from "@rbxts/services";
import { version } from "./shared/version";
export { version };
export function playerCount() {
	return Players.GetPlayers().size();
}
