// The Vantage SDK in a roblox-ts game: start it once on the server, then track what players do.
import { Players } from "@rbxts/services";
import { Vantage } from "@rbxts/vantage";

// The backend's address; a place can override it with this script's VantageEndpoint attribute.
const endpoint = script.GetAttribute("VantageEndpoint");
Vantage.start({ endpoint: typeIs(endpoint, "string") ? endpoint : "https://vantage.example.com" });

Players.PlayerAdded.Connect((player) => Vantage.track(player, "joined", { source: "lobby" }));
