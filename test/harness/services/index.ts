// Built-in service plugins every VM gets: host functions (Node side) for the emulated Roblox services whose Luau
// half lives in ../lua/services/*.luau. One entry per service.
import type { ServicePlugin } from "../vm.js";
import { dataStorePlugin } from "./datastore.js";
import { httpPlugin } from "./http.js";
import { marketplacePlugin } from "./marketplace.js";

export const builtinPlugins: ServicePlugin[] = [dataStorePlugin, httpPlugin, marketplacePlugin];
