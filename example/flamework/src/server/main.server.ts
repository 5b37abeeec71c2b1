// A Flamework game with Vantage: give VantageService its options, then ignite. It starts Vantage in onInit, before
// any service's onStart, and every service that asks for it gets it injected.
import { Flamework } from "@flamework/core";
import { VantageService } from "@rbxts/vantage/flamework";

// The backend's address; a place can override it with this script's VantageEndpoint attribute.
const endpoint = script.GetAttribute("VantageEndpoint");
VantageService.configure({ endpoint: typeIs(endpoint, "string") ? endpoint : "https://vantage.example.com" });

Flamework.addPaths("src/server/services");
Flamework.ignite();
