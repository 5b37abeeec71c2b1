// The privacy module's persistence contract lives in server/domain/privacy.ts (the stores implement it without this
// module); re-exported here for the privacy module's code.
export type {
	AuditRow,
	AuditHead,
	PrivacyJobStatus,
	PrivacyJobSource,
	PrivacyJobRecord,
	ErasePlayerOutcome,
	PlayerData,
	PrivacyStore,
} from "../domain/privacy.js";
