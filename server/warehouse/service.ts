// The warehouse as the rest of the backend sees it: a domain type (server/domain/warehouse.ts), so the stores that
// implement it need not import this module.
export type {
	FoldResult,
	WarehouseCall,
	WarehouseReply,
	WarehouseService,
	WarehouseStatus,
} from "../domain/warehouse.js";
