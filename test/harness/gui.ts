// The host's hands and eyes on a client's GUI (lua/services/gui.luau, ui-input.luau): read what is on screen, click,
// tap and press gamepad buttons as a player would. Coordinates are screen pixels from the viewport's top-left corner
// (AbsolutePosition + (0, 58), the top bar inset); see test/harness/README.md.
import type { RobloxVm } from "./vm.js";
import type { World } from "./world.js";

/** A GuiObject that is shown (Visible up to an enabled ScreenGui in the local player's PlayerGui). */
export interface ScreenElement {
	/** Tells objects apart when full names repeat (siblings sharing a Name); stable for the VM's life. */
	id: number;
	/** Full name, e.g. "Players.ana.PlayerGui.Consent.Panel.Accept". */
	path: string;
	className: string;
	name: string;
	/** ContentText of TextLabels / TextButtons (rich-text tags removed). */
	text?: string;
	/** The part inside the viewport and every clipping ancestor, in screen pixels. */
	x: number;
	y: number;
	width: number;
	height: number;
	/** The whole rectangle in AbsolutePosition space: [x, y, width, height]. */
	absolute: [number, number, number, number];
	/** The GuiButton that takes clicks on this element: itself or its nearest GuiButton ancestor. */
	button?: string;
	buttonId?: number;
	active: boolean;
	selectable: boolean;
	/** GuiService.SelectedObject is this element. */
	selected: boolean;
	/** Some of it is inside the viewport and its clipping ancestors. */
	onScreen: boolean;
}

export interface ScreenState {
	viewport: [number, number];
	/** Top bar inset in pixels (screen y = AbsolutePosition.Y + inset). */
	inset: number;
	/** GuiService.SelectedObject's full name and id. */
	selected?: string;
	selectedId?: number;
	/** Shown elements in drawing order (the last one is on top). */
	elements: ScreenElement[];
}

export interface VisibleText {
	text: string;
	path: string;
	className: string;
	x: number;
	y: number;
	width: number;
	height: number;
	/** The button a click on this text reaches, if any. */
	button?: string;
}

/** What a click or tap reached: the GuiButton or Active GuiObject that took it (full name), or nothing. */
export interface PointerResult {
	hit?: string;
	hitId?: number;
	/** The GUI took the input (UserInputService events had gameProcessedEvent = true). */
	sunk: boolean;
}

export interface GamepadResult {
	/** GuiService.SelectedObject after the press. */
	selected?: string;
	/** The button ButtonA activated. */
	activated?: string;
}

export type GamepadKey =
	| "DPadUp"
	| "DPadDown"
	| "DPadLeft"
	| "DPadRight"
	| "Thumbstick1Up"
	| "Thumbstick1Down"
	| "Thumbstick1Left"
	| "Thumbstick1Right"
	| "ButtonA"
	| "ButtonB"
	| "ButtonX"
	| "ButtonY"
	| "ButtonSelect"
	| "ButtonStart";

/** A button by its text (exact, trimmed, or a RegExp), by instance Name, or by full name (or a dotted tail of it). */
export type ButtonQuery = string | RegExp | { name: string } | { path: string };

function describe(query: ButtonQuery): string {
	if (typeof query === "string") return JSON.stringify(query);
	if (query instanceof RegExp) return String(query);
	return "name" in query ? `named ${JSON.stringify(query.name)}` : `at ${query.path}`;
}

function matches(el: ScreenElement, query: ButtonQuery): boolean {
	if (typeof query === "string") return el.text !== undefined && el.text.trim() === query;
	if (query instanceof RegExp) return el.text !== undefined && query.test(el.text);
	if ("name" in query) return el.name === query.name;
	return el.path === query.path || el.path.endsWith("." + query.path);
}

/** Parses a JSON object from the VM; Luau's encoder writes an empty table as []. */
function parseObject<T>(json: unknown): T {
	const value = JSON.parse(String(json)) as unknown;
	return (Array.isArray(value) ? {} : value) as T;
}

/** Parses a JSON array from the VM (an empty one may come as {}). */
function parseArray<T>(json: unknown): T[] {
	const value = JSON.parse(String(json)) as unknown;
	return Array.isArray(value) ? (value as T[]) : [];
}

/**
 * A player's screen in a client VM.
 *
 * @example
 * const screen = Screen.of(world, 1);
 * await screen.clickButton("Accept all"); // mouse click at the button's centre
 * await screen.pressGamepad("ButtonSelect"); // select the first selectable object
 * await screen.pressGamepad("DPadDown");
 * await screen.pressGamepad("ButtonA"); // activate GuiService.SelectedObject
 * await world.advance(0.1); // let the handlers' remote events reach the server
 */
export class Screen {
	private constructor(
		readonly vm: RobloxVm,
		private readonly sync: () => Promise<void>,
	) {}

	/** The screen of a connected player; every action first brings the world's VMs to the same frame. */
	static of(world: World, userId: number): Screen {
		return new Screen(world.client(userId), () => world.advance(0));
	}

	/** The screen of a lone client VM (RobloxVm.create({ role: "client" }) with a local player). */
	static ofVm(vm: RobloxVm): Screen {
		return new Screen(vm, async () => {});
	}

	/** Every shown GuiObject with its rectangle, the viewport and the selection. */
	async read(): Promise<ScreenState> {
		await this.sync();
		const state = parseObject<ScreenState>(await this.vm.callH("guiScreen"));
		if (!Array.isArray(state.elements)) state.elements = [];
		return state;
	}

	/** Texts of the TextLabels and TextButtons a player can see, in drawing order. */
	async visibleTexts(): Promise<VisibleText[]> {
		const { elements } = await this.read();
		return elements
			.filter((el) => el.onScreen && el.text !== undefined && el.text !== "")
			.map(({ text, path, className, x, y, width, height, button }) => ({
				text: text!,
				path,
				className,
				x,
				y,
				width,
				height,
				...(button ? { button } : {}),
			}));
	}

	/** The object that would take a click at (x, y), without clicking. */
	async hitAt(x: number, y: number): Promise<{ hit?: string; hitId?: number }> {
		await this.sync();
		return parseObject<{ hit?: string; hitId?: number }>(await this.vm.callH("guiHitAt", x, y));
	}

	/** A left mouse click (press and release) at screen pixel (x, y). */
	async click(x: number, y: number): Promise<PointerResult> {
		return this.pointer("mouse", x, y);
	}

	/** A touch tap at screen pixel (x, y). */
	async tap(x: number, y: number): Promise<PointerResult> {
		return this.pointer("touch", x, y);
	}

	/** Clicks the centre of the visible button matching `query`; throws if none, several, covered or off-screen. */
	async clickButton(query: ButtonQuery): Promise<PointerResult> {
		const [x, y] = await this.buttonCentre(query);
		return this.click(x, y);
	}

	/** Taps the centre of the visible button matching `query` (see clickButton). */
	async tapButton(query: ButtonQuery): Promise<PointerResult> {
		const [x, y] = await this.buttonCentre(query);
		return this.tap(x, y);
	}

	/** Presses and releases a gamepad button (Enum.KeyCode name). */
	async pressGamepad(key: GamepadKey): Promise<GamepadResult> {
		await this.sync();
		return parseObject<GamepadResult>(await this.vm.callH("guiGamepad", key));
	}

	/** GuiService.SelectedObject, as shown on screen. */
	async selected(): Promise<ScreenElement | undefined> {
		const state = await this.read();
		return state.elements.find((el) => el.id === state.selectedId);
	}

	/** Sets the viewport (e.g. a tablet's 1180 × 820); no arguments: back to the player's platform's. */
	async setViewport(width?: number, height?: number): Promise<void> {
		await this.sync();
		if (width === undefined) await this.vm.callH("guiSetViewport");
		else await this.vm.callH("guiSetViewport", width, height ?? 0);
	}

	private async pointer(kind: "mouse" | "touch", x: number, y: number): Promise<PointerResult> {
		await this.sync();
		return parseObject<PointerResult>(await this.vm.callH("guiPointer", kind, x, y));
	}

	private async buttonCentre(query: ButtonQuery): Promise<[number, number]> {
		const { elements } = await this.read();
		const found = elements.filter((el) => matches(el, query));
		const buttons = [...new Set(found.map((el) => el.buttonId).filter((b): b is number => b !== undefined))];
		const shownTexts = () => JSON.stringify(elements.filter((el) => el.onScreen && el.text).map((el) => el.text));
		if (buttons.length === 0) {
			if (found.length > 0) throw new Error(`${describe(query)} is not on or in a button`);
			const hidden = parseArray<{ path: string; text: string; reason: string }>(await this.vm.callH("guiHidden"))
				.filter((h) => matches({ text: h.text, name: h.path.split(".").pop()!, path: h.path } as ScreenElement, query))
				.map((h) => `${h.path} is hidden: ${h.reason}`);
			const why = hidden.length > 0 ? ` (${hidden.join("; ")})` : "";
			throw new Error(`no shown button ${describe(query)}${why}; texts on screen: ${shownTexts()}`);
		}
		const button = elements.find((el) => el.id === buttons[0])!;
		if (buttons.length > 1) {
			const paths = elements.filter((el) => buttons.includes(el.id)).map((el) => el.path);
			throw new Error(`${describe(query)} matches several buttons: ${paths.join(", ")}`);
		}
		if (!button.onScreen) throw new Error(`button ${describe(query)} (${button.path}) is off-screen or clipped away`);
		const x = button.x + button.width / 2;
		const y = button.y + button.height / 2;
		const { hit, hitId } = parseObject<{ hit?: string; hitId?: number }>(await this.vm.callH("guiHitAt", x, y));
		if (hitId !== button.id) {
			throw new Error(
				hit
					? `button ${describe(query)} (${button.path}) is covered by ${hit} at (${x}, ${y})`
					: `button ${describe(query)} (${button.path}) takes no input at (${x}, ${y}) (Interactable = false?)`,
			);
		}
		return [x, y];
	}
}
