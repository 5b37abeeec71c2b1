// The unit-level answer of the event store for one experiment and one metric: a domain type
// (server/domain/experiments.ts), so the engines that fill it need not import this module.
export type { BreakdownDimension, ExperimentUnits, ExperimentUnitsQuery } from "../domain/experiments.js";
