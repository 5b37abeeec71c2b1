// Built-in service plugins every VM gets: host functions (Node side) for the emulated Roblox services whose Luau
// half lives in ../lua/services/*.luau. One entry per service.
import type { ServicePlugin } from "../vm.js";

export const builtinPlugins: ServicePlugin[] = [];
