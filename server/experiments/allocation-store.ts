// Layers, holdouts and adaptive run times: the contract lives in server/domain/allocation.ts (the stores implement it
// without this module); re-exported here for the experiments module's code.
export type { LayerRecord, HoldoutRecord, AdaptiveRun, AllocationStore } from "../domain/allocation.js";
