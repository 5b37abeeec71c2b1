// The consent ledger's persistence contract lives in server/domain/consent.ts (the stores implement it without this
// module); re-exported here for the privacy module's code.
export type {
	ConsentPolicyRecord,
	ConsentRecordRow,
	ConsentTally,
	SealedConsent,
	ConsentSealer,
	ConsentTallyRow,
	ConsentStore,
} from "../domain/consent.js";
