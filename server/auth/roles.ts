// The scopes and roles themselves are plain data in server/domain/roles.ts (the stores use them without this module).
import { ADMIN_ROLES, GAME_SCOPES, type AdminRole, type GameScope } from "../domain/roles.js";
export { ADMIN_ROLES, GAME_SCOPES };
export type { AdminRole, GameScope };

/** Whether `role` is at least as powerful as `required`. */
export function roleAllows(role: AdminRole, required: AdminRole): boolean {
	return ADMIN_ROLES.indexOf(role) <= ADMIN_ROLES.indexOf(required);
}
