// The security hardening's persistence contract lives in server/domain/security.ts (the stores implement it without
// this module); re-exported here for the auth module's code.
export { digestWebhookAad } from "../domain/security.js";
export type {
	LoginThrottleRecord,
	TotpRecord,
	AdminSessionKind,
	AdminSessionListing,
	SecretSealer,
	SecurityStore,
} from "../domain/security.js";
