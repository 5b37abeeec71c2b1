// What the metrics engine reads: the reader contract engines implement, a domain type (server/domain) so the stores
// need not import the metrics module.
export type * from "../domain/metrics-reader.js";
