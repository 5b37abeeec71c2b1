// The player's side: VantageController starts VantageClient (device facts, client errors, the consent prompt) with
// the options given here (none: the defaults), and controllers that ask for it get it injected.
import { Flamework } from "@flamework/core";
import { VantageController } from "@rbxts/vantage/flamework";

VantageController.configure();

Flamework.addPaths("src/client/controllers");
Flamework.ignite();
