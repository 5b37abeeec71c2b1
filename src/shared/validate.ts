// Boundary checks of the SDK: every public call and every client message passes one of these before anything is
// built from it. Each check returns why a value is unusable (a short, stable sentence: it becomes a warning that is
// printed once), or undefined when the value is fine. Client messages are also copied field by field, so nothing a
// client adds (a userId, a metatable, extra keys) survives into an event.
import { t } from "@rbxts/t";
import {
	ClientMessage,
	DeviceClass,
	DeviceInfo,
	MAX_NAME_LENGTH,
	MAX_PROP_STRING_LENGTH,
	MAX_UI_VERSION_LENGTH,
	MAX_EXPOSURES_PER_MESSAGE,
	MAX_PROPS,
	PropValue,
	Props,
} from "./protocol";

/** Longest label inside a structured event (progression level, currency, item, funnel and step names). */
export const MAX_LABEL_LENGTH = 64;
/** Most props a client event may carry: clients are untrusted and their events get a `client` marker. */
export const MAX_CLIENT_PROPS = 32;
/** Most steps of one funnel. */
export const MAX_FUNNEL_STEP = 1000;

// JSON cannot carry NaN or infinities, and the backend would reject the whole event.
export const isFiniteNumber = (value: unknown): value is number =>
	typeIs(value, "number") && value === value && value !== math.huge && value !== -math.huge;
const isPropKey = (key: unknown): key is string => typeIs(key, "string") && key.size() > 0 && key.size() <= 128;
const isPropString = (value: unknown): value is string =>
	typeIs(value, "string") && value.size() <= MAX_PROP_STRING_LENGTH;
const isPropValue = t.union(isPropString, t.boolean, isFiniteNumber);
const isPropsShape = t.map(isPropKey, isPropValue);
const isLabel = (value: unknown): value is string =>
	typeIs(value, "string") && value.size() > 0 && value.size() <= MAX_LABEL_LENGTH;
const isPositiveInteger = (value: unknown): value is number => t.integer(value) && value > 0 && value < 2 ** 53;

/** Checks an event name; returns why it is unusable, or undefined. */
export function checkName(name: unknown): string | undefined {
	if (!typeIs(name, "string")) return `event name must be a string, got ${typeOf(name)}`;
	if (name.size() === 0 || name.size() > MAX_NAME_LENGTH) {
		return `event name must have 1 to ${MAX_NAME_LENGTH} characters`;
	}
	return undefined;
}

/** Checks event properties (at most `maxKeys`); returns why they are unusable, or undefined. */
export function checkProps(props: unknown, maxKeys = MAX_PROPS): string | undefined {
	if (props === undefined) return undefined;
	if (!typeIs(props, "table")) return `props must be a table, got ${typeOf(props)}`;
	// Count first, stopping early: an untrusted table may be huge, and the shape check would walk all of it.
	let count = 0;
	for (const [_] of pairs(props)) {
		count += 1;
		if (count > maxKeys) return `props may have at most ${maxKeys} keys`;
	}
	if (!isPropsShape(props)) {
		return `props must map string keys (1-128 characters) to strings (at most ${MAX_PROP_STRING_LENGTH} characters), finite numbers or booleans`;
	}
	return undefined;
}

// The hot path of `track` (many calls per frame in a busy game) checks with one plain loop and table lookups instead
// of @rbxts/t's closures. checkProps and checkName stay the rule, the reasons and the client messages' check; a spec
// holds the fast checks to the same answers.
/** Most distinct event names, and prop keys, remembered as valid; past that, the others are checked on each call. */
const MAX_REMEMBERED = 1024;
const HUGE = math.huge;
const usableNames = new Set<unknown>();
const usableKeys = new Set<unknown>();
let rememberedNames = 0;
let rememberedKeys = 0;

/** Whether `name` passes {@link checkName}; a name once found valid is one table lookup afterwards. */
export function isUsableName(name: unknown): boolean {
	if (usableNames.has(name)) return true;
	if (checkName(name) !== undefined) return false;
	if (rememberedNames < MAX_REMEMBERED) {
		usableNames.add(name);
		rememberedNames += 1;
	}
	return true;
}

function isUsableKey(key: unknown): boolean {
	if (!isPropKey(key)) return false;
	if (rememberedKeys < MAX_REMEMBERED) {
		usableKeys.add(key);
		rememberedKeys += 1;
	}
	return true;
}

/**
 * Whether `props` pass {@link checkProps} (at most {@link MAX_PROPS} keys) and are a plain table (no metatable); if
 * not, ask checkProps why. One loop, no closures; prop keys are remembered as names are.
 */
export function isValidProps(props: unknown): boolean {
	if (!typeIs(props, "table") || getmetatable(props) !== undefined) return false;
	let count = 0;
	for (const [key, value] of props as Map<unknown, unknown>) {
		count += 1;
		if (count > MAX_PROPS) return false;
		if (!usableKeys.has(key) && !isUsableKey(key)) return false;
		if (value === true || value === false) continue;
		const kind = type(value);
		if (kind === "number") {
			if (value !== value || value === HUGE || value === -HUGE) return false;
		} else if (kind !== "string" || (value as string).size() > MAX_PROP_STRING_LENGTH) {
			return false;
		}
	}
	return true;
}

/**
 * A copy of `props` when {@link isValidProps}, else undefined: then ask checkProps why, or copy a table with a
 * metatable with {@link copyProps}. `undefined` props give an empty table.
 */
export function copyIfValidProps(props: unknown): Props | undefined {
	if (props === undefined) return {};
	// Checked first and cloned after: nothing can run in between (no metatable, no yield).
	return isValidProps(props) ? (table.clone(props as object) as Props) : undefined;
}

/** A copy of checked props (the caller may change or reuse its table after the call). */
export function copyProps(props: unknown): Props {
	const copy: Props = {};
	if (typeIs(props, "table")) for (const [k, v] of pairs(props as Props)) copy[k] = v as PropValue;
	return copy;
}

/** Progression statuses, as in GameAnalytics: a level attempt starts, then completes or fails. */
export type ProgressionStatus = "start" | "complete" | "fail";
const isProgressionStatus = t.literal("start", "complete", "fail");

/** Checks `progression(player, status, path, score?)`; returns why the call is unusable, or undefined. */
export function checkProgression(status: unknown, path: unknown, score: unknown): string | undefined {
	if (!isProgressionStatus(status)) return `status must be "start", "complete" or "fail"`;
	if (!t.array(t.any)(path) || path.size() < 1 || path.size() > 3) {
		return 'path must be an array of 1 to 3 names, e.g. {"World1", "Level2"}';
	}
	for (const part of path) {
		if (!isLabel(part) || part.find(":", 1, true)[0] !== undefined) {
			return `path names must be strings of 1 to ${MAX_LABEL_LENGTH} characters without ":"`;
		}
	}
	if (score !== undefined && !isFiniteNumber(score)) return "score must be a finite number";
	return undefined;
}

/** An economy event: a currency flows into (source) or out of (sink) a player's balance, for an item. */
export interface EconomyEvent {
	flow: "source" | "sink";
	/** The currency, e.g. "Gems". */
	currency: string;
	/** How much flowed; positive. */
	amount: number;
	/** What kind of item was bought, sold or earned, e.g. "Weapons" or "QuestReward". */
	itemType: string;
	/** Which item, e.g. "IronSword". */
	itemId: string;
}
const ECONOMY_FIELDS = new Set(["flow", "currency", "amount", "itemType", "itemId"]);

/** Checks an {@link EconomyEvent}; returns why it is unusable, or undefined. */
export function checkEconomy(data: unknown): string | undefined {
	if (!typeIs(data, "table")) return "economy expects a table {flow, currency, amount, itemType, itemId}";
	for (const [key] of pairs(data)) {
		if (!typeIs(key, "string") || !ECONOMY_FIELDS.has(key)) return `economy: unknown field ${tostring(key)}`;
	}
	const e = data as Partial<Record<keyof EconomyEvent, unknown>>;
	if (e.flow !== "source" && e.flow !== "sink") return `economy: flow must be "source" or "sink"`;
	if (!isLabel(e.currency)) return `economy: currency must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
	if (!isFiniteNumber(e.amount) || e.amount <= 0) return "economy: amount must be a positive finite number";
	if (!isLabel(e.itemType)) return `economy: itemType must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
	if (!isLabel(e.itemId)) return `economy: itemId must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
	return undefined;
}

/** Checks the receipt `MarketplaceService.ProcessReceipt` gets; returns why it is unusable, or undefined. */
export function checkReceipt(receipt: unknown): string | undefined {
	if (!typeIs(receipt, "table")) return "purchase expects the receiptInfo table ProcessReceipt was called with";
	const r = receipt as Partial<Record<keyof ReceiptInfo, unknown>>;
	if (!typeIs(r.PurchaseId, "string") || r.PurchaseId.size() === 0 || r.PurchaseId.size() > 128) {
		return "purchase: receipt.PurchaseId must be a string";
	}
	if (!isPositiveInteger(r.PlayerId)) return "purchase: receipt.PlayerId must be a positive integer";
	if (!isPositiveInteger(r.ProductId)) return "purchase: receipt.ProductId must be a positive integer";
	if (!isFiniteNumber(r.CurrencySpent) || r.CurrencySpent < 0) {
		return "purchase: receipt.CurrencySpent must be a number of at least 0";
	}
	if (r.PlaceIdWherePurchased !== undefined && !isFiniteNumber(r.PlaceIdWherePurchased)) {
		return "purchase: receipt.PlaceIdWherePurchased must be a number";
	}
	return undefined;
}

/** Checks `funnelStep(player, funnel, step, name)`; returns why the call is unusable, or undefined. */
export function checkFunnelStep(funnel: unknown, step: unknown, stepName: unknown): string | undefined {
	if (!isLabel(funnel)) return `funnel must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
	if (!t.integer(step) || step < 1 || step > MAX_FUNNEL_STEP) {
		return `step must be an integer from 1 to ${MAX_FUNNEL_STEP}`;
	}
	if (!isLabel(stepName)) return `step name must be a string of 1 to ${MAX_LABEL_LENGTH} characters`;
	return undefined;
}

const isDeviceClass = t.literal<DeviceClass[]>("desktop", "phone", "tablet", "console", "vr", "unknown");
const isScreenSize = (value: unknown): value is number => t.integer(value) && value >= 0 && value <= 100000;
const isDeviceInfo = t.interface({
	device: isDeviceClass,
	touch: t.boolean,
	keyboard: t.boolean,
	mouse: t.boolean,
	gamepad: t.boolean,
	vr: t.boolean,
	tenFoot: t.boolean,
	screenWidth: t.optional(isScreenSize),
	screenHeight: t.optional(isScreenSize),
});

function copyDevice(d: DeviceInfo): DeviceInfo {
	const copy: DeviceInfo = {
		device: d.device,
		touch: d.touch,
		keyboard: d.keyboard,
		mouse: d.mouse,
		gamepad: d.gamepad,
		vr: d.vr,
		tenFoot: d.tenFoot,
	};
	if (d.screenWidth !== undefined && d.screenHeight !== undefined) {
		copy.screenWidth = d.screenWidth;
		copy.screenHeight = d.screenHeight;
	}
	return copy;
}

const isErrorText = (value: unknown, min: number): value is string =>
	typeIs(value, "string") && value.size() >= min && value.size() <= 4 * MAX_PROP_STRING_LENGTH;

/**
 * Validates one message from a client and returns a fresh copy holding only the known fields, or why it was
 * refused. Never trusts the client: unknown kinds, wrong types, oversized strings and tables are refused.
 */
export function parseClientMessage(message: unknown): ClientMessage | string {
	if (!typeIs(message, "table")) return "message is not a table";
	const m = message as Record<string, unknown>;
	if (m.kind === "event") {
		const problem = checkName(m.name) ?? checkProps(m.props, MAX_CLIENT_PROPS);
		if (problem !== undefined) return problem;
		return { kind: "event", name: m.name as string, props: copyProps(m.props) };
	}
	if (m.kind === "device") {
		if (!isDeviceInfo(m.device)) return "device info has the wrong shape";
		return { kind: "device", device: copyDevice(m.device) };
	}
	if (m.kind === "error") {
		if (!isErrorText(m.message, 1) || !isErrorText(m.stack, 0)) return "error report has the wrong shape";
		return { kind: "error", message: m.message, stack: m.stack };
	}
	if (m.kind === "consent") {
		const c = m.choices as Record<string, unknown> | undefined;
		if (
			!typeIs(c, "table") ||
			!typeIs(c.analytics, "boolean") ||
			!typeIs(c.experiments, "boolean") ||
			!typeIs(c.personalization, "boolean")
		) {
			return "consent answer needs analytics, experiments and personalization booleans";
		}
		if (!typeIs(m.uiVersion, "string") || m.uiVersion.size() < 1 || m.uiVersion.size() > MAX_UI_VERSION_LENGTH) {
			return `consent answer needs a uiVersion of 1 to ${MAX_UI_VERSION_LENGTH} characters`;
		}
		return {
			kind: "consent",
			choices: { analytics: c.analytics, experiments: c.experiments, personalization: c.personalization },
			uiVersion: m.uiVersion,
		};
	}
	if (m.kind === "variants") return { kind: "variants" };
	if (m.kind === "exposure") return parseExposures(m.experiments);
	return "unknown message kind";
}

const isKey = (value: unknown): value is string =>
	typeIs(value, "string") && value.size() > 0 && value.size() <= MAX_NAME_LENGTH;

/** A client's `exposure` message: 1 to MAX_EXPOSURES_PER_MESSAGE experiment keys → variation keys, copied. */
function parseExposures(experiments: unknown): ClientMessage | string {
	const shape = `exposure needs experiments: a table of 1 to ${MAX_EXPOSURES_PER_MESSAGE} experiment keys → variation keys`;
	if (!typeIs(experiments, "table") || getmetatable(experiments) !== undefined) return shape;
	const copy: Record<string, string> = {};
	let count = 0;
	for (const [experiment, variation] of pairs(experiments)) {
		count += 1;
		if (count > MAX_EXPOSURES_PER_MESSAGE || !isKey(experiment) || !isKey(variation)) return shape;
		copy[experiment] = variation;
	}
	if (count === 0) return shape;
	return { kind: "exposure", experiments: copy };
}
