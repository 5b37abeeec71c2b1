// The consent prompt: a ScreenGui built in code in the local player's PlayerGui. One screen with "Reject all",
// "Accept all" (the same size, colour and place in the row: refusing is as easy as agreeing) and "Choose", which
// opens one switch per category and "Save choices". Works with mouse and touch (TextButton.Activated) and with a
// gamepad (the buttons are Selectable, linked with NextSelection*, and GuiService.SelectedObject starts on the first
// one). Its words come from consent-strings.ts in the player's language; a game can restyle it or replace any text,
// or turn it off and show its own UI (VantageClient.consent.promptRequested / answer).
import { GuiService, Players, UserInputService } from "@rbxts/services";
import { ConsentChoices } from "../shared/protocol";
import { consentTexts, ConsentTextOverrides, ConsentTexts } from "./consent-strings";

/** The prompt's version, sent with every answer given through it (with the language: "vantage-1/de"). */
export const PROMPT_UI_VERSION = "vantage-1";

/** Colours, font and shape of the prompt. */
export interface ConsentPromptStyle {
	/** The panel. @default Color3.fromRGB(28, 30, 38) */
	backgroundColor?: Color3;
	/** Every text. @default white */
	textColor?: Color3;
	/** "Accept all" and "Reject all" (always alike). @default Color3.fromRGB(52, 110, 235) */
	buttonColor?: Color3;
	/** "Choose", "Back" and the switches. @default Color3.fromRGB(60, 64, 78) */
	secondaryColor?: Color3;
	/** @default Enum.Font.GothamMedium */
	font?: Enum.Font;
	/** Corner radius in pixels. @default 10 */
	cornerRadius?: number;
}

/** Options of the built-in prompt (`VantageClient.start({ consentPrompt })`). */
export interface ConsentPromptOptions {
	style?: ConsentPromptStyle;
	/** Replaces any of the prompt's strings (in every language). */
	texts?: ConsentTextOverrides;
	/** ScreenGui.DisplayOrder, above the game's own GUIs. @default 100 */
	displayOrder?: number;
}

type Category = keyof ConsentChoices;
const CATEGORIES: Category[] = ["analytics", "experiments", "personalization"];

const PANEL_MAX = new Vector2(520, 360);
const PANEL_MIN = new Vector2(300, 250);
const ROW_HEIGHT = 44;
const GAP = 8;

export class ConsentPrompt {
	private gui?: ScreenGui;
	private choices: ConsentChoices = { analytics: false, experiments: false, personalization: false };

	constructor(
		private readonly options: ConsentPromptOptions,
		/** Sends the player's answer (VantageClient.consent.answer). */
		private readonly answer: (choices: ConsentChoices, uiVersion: string) => void,
	) {}

	isOpen(): boolean {
		return this.gui !== undefined && this.gui.Parent !== undefined;
	}

	/** Shows the prompt (once: showing it again while open does nothing), starting from the player's current choices. */
	show(current?: ConsentChoices): void {
		if (this.isOpen()) return;
		const playerGui = Players.LocalPlayer?.FindFirstChildOfClass("PlayerGui");
		if (!playerGui) return;
		const { language, texts } = consentTexts(Players.LocalPlayer.LocaleId, this.options.texts);
		this.choices = current
			? { analytics: current.analytics, experiments: current.experiments, personalization: current.personalization }
			: { analytics: false, experiments: false, personalization: false };
		const gui = new Instance("ScreenGui");
		gui.Name = "VantageConsent";
		gui.ResetOnSpawn = false;
		gui.IgnoreGuiInset = true;
		gui.DisplayOrder = this.options.displayOrder ?? 100;
		gui.ZIndexBehavior = Enum.ZIndexBehavior.Sibling;
		this.gui = gui;
		this.build(gui, texts, `${PROMPT_UI_VERSION}/${language}`);
		gui.Parent = playerGui;
		this.showMain();
	}

	/** Removes the prompt without an answer. */
	close(): void {
		if (this.gui && GuiService.SelectedObject !== undefined && GuiService.SelectedObject.IsDescendantOf(this.gui)) {
			GuiService.SelectedObject = undefined;
		}
		this.gui?.Destroy();
		this.gui = undefined;
	}

	// Building ---------------------------------------------------------------------------------------------------

	private style(): Required<ConsentPromptStyle> {
		const s = this.options.style ?? {};
		return {
			backgroundColor: s.backgroundColor ?? Color3.fromRGB(28, 30, 38),
			textColor: s.textColor ?? Color3.fromRGB(255, 255, 255),
			buttonColor: s.buttonColor ?? Color3.fromRGB(52, 110, 235),
			secondaryColor: s.secondaryColor ?? Color3.fromRGB(60, 64, 78),
			font: s.font ?? Enum.Font.GothamMedium,
			cornerRadius: s.cornerRadius ?? 10,
		};
	}

	private build(gui: ScreenGui, texts: ConsentTexts, uiVersion: string): void {
		const style = this.style();
		// A dim backdrop that takes the clicks meant for the game while the prompt is open.
		const backdrop = new Instance("Frame");
		backdrop.Name = "Backdrop";
		backdrop.Size = UDim2.fromScale(1, 1);
		backdrop.BackgroundColor3 = Color3.fromRGB(0, 0, 0);
		backdrop.BackgroundTransparency = 0.45;
		backdrop.BorderSizePixel = 0;
		backdrop.Active = true;
		backdrop.Parent = gui;

		const panel = new Instance("Frame");
		panel.Name = "Panel";
		panel.AnchorPoint = new Vector2(0.5, 0.5);
		panel.Position = UDim2.fromScale(0.5, 0.5);
		panel.Size = UDim2.fromScale(0.92, 0.92);
		panel.BackgroundColor3 = style.backgroundColor;
		panel.BorderSizePixel = 0;
		panel.Parent = backdrop;
		const limits = new Instance("UISizeConstraint");
		limits.MaxSize = PANEL_MAX;
		limits.MinSize = PANEL_MIN;
		limits.Parent = panel;
		this.corner(panel, style.cornerRadius);

		const main = this.page(panel, "Main");
		this.label(main, "Title", texts.title, 1, 28, style, 22);
		this.label(main, "Body", texts.body, 2, 120, style, 15);
		const row = this.row(main, "Buttons", 3);
		const reject = this.button(row, "RejectAll", texts.rejectAll, 1, style.buttonColor, style, 1 / 3);
		const accept = this.button(row, "AcceptAll", texts.acceptAll, 2, style.buttonColor, style, 1 / 3);
		const choose = this.button(row, "Choose", texts.choose, 3, style.secondaryColor, style, 1 / 3);
		this.link([reject, accept, choose], "horizontal");

		const details = this.page(panel, "Details");
		this.label(details, "Title", texts.title, 1, 28, style, 20);
		const switches: TextButton[] = [];
		CATEGORIES.forEach((category, i) => {
			const line = this.row(details, `Row_${category}`, i + 2);
			const text = `${texts[category]}\n${texts[`${category}Help` as keyof ConsentTexts]}`;
			const label = this.label(line, "Label", text, 1, ROW_HEIGHT, style, 14, 0.68);
			label.TextXAlignment = Enum.TextXAlignment.Left;
			const toggle = this.button(line, `Toggle_${category}`, "", 2, style.secondaryColor, style, 0.32);
			const paint = () => {
				toggle.Text = this.choices[category] ? texts.on : texts.off;
				toggle.BackgroundColor3 = this.choices[category] ? style.buttonColor : style.secondaryColor;
			};
			paint();
			toggle.Activated.Connect(() => {
				this.choices[category] = !this.choices[category];
				paint();
			});
			switches.push(toggle);
		});
		const actions = this.row(details, "Actions", CATEGORIES.size() + 2);
		const back = this.button(actions, "Back", texts.back, 1, style.secondaryColor, style, 0.5);
		const save = this.button(actions, "Save", texts.save, 2, style.buttonColor, style, 0.5);
		this.link([back, save], "horizontal");
		this.link([...switches, save], "vertical");
		back.NextSelectionUp = switches[switches.size() - 1];

		reject.Activated.Connect(() =>
			this.finish({ analytics: false, experiments: false, personalization: false }, uiVersion),
		);
		accept.Activated.Connect(() =>
			this.finish({ analytics: true, experiments: true, personalization: true }, uiVersion),
		);
		choose.Activated.Connect(() => this.showDetails());
		back.Activated.Connect(() => this.showMain());
		save.Activated.Connect(() => this.finish(this.choices, uiVersion));
	}

	private finish(choices: ConsentChoices, uiVersion: string): void {
		const copy = {
			analytics: choices.analytics,
			experiments: choices.experiments,
			personalization: choices.personalization,
		};
		this.close();
		this.answer(copy, uiVersion);
	}

	private showMain(): void {
		this.switchTo("Main", "RejectAll");
	}

	private showDetails(): void {
		this.switchTo("Details", "Toggle_analytics");
	}

	/** Shows one page; a gamepad player's selection moves to its first button. */
	private switchTo(pageName: string, first: string): void {
		const panel = this.gui?.FindFirstChild("Backdrop")?.FindFirstChild("Panel");
		if (!panel) return;
		for (const page of panel.GetChildren()) {
			if (page.IsA("Frame")) page.Visible = page.Name === pageName;
		}
		const target = panel.FindFirstChild(pageName)?.FindFirstChild(first, true);
		if (target && target.IsA("GuiObject") && UserInputService.GamepadEnabled) GuiService.SelectedObject = target;
	}

	private page(panel: Frame, name: string): Frame {
		const page = new Instance("Frame");
		page.Name = name;
		page.Size = UDim2.fromScale(1, 1);
		page.BackgroundTransparency = 1;
		page.Visible = false;
		page.Parent = panel;
		const padding = new Instance("UIPadding");
		for (const side of ["PaddingTop", "PaddingBottom", "PaddingLeft", "PaddingRight"] as const) {
			padding[side] = new UDim(0, 16);
		}
		padding.Parent = page;
		const list = new Instance("UIListLayout");
		list.FillDirection = Enum.FillDirection.Vertical;
		list.SortOrder = Enum.SortOrder.LayoutOrder;
		list.Padding = new UDim(0, GAP);
		list.Parent = page;
		return page;
	}

	private row(parent: Frame, name: string, order: number): Frame {
		const row = new Instance("Frame");
		row.Name = name;
		row.LayoutOrder = order;
		row.Size = new UDim2(1, 0, 0, ROW_HEIGHT);
		row.BackgroundTransparency = 1;
		row.Parent = parent;
		const list = new Instance("UIListLayout");
		list.FillDirection = Enum.FillDirection.Horizontal;
		list.SortOrder = Enum.SortOrder.LayoutOrder;
		list.Padding = new UDim(0, GAP);
		list.Parent = row;
		return row;
	}

	private label(
		parent: Frame,
		name: string,
		text: string,
		order: number,
		height: number,
		style: Required<ConsentPromptStyle>,
		size: number,
		width = 1,
	): TextLabel {
		const label = new Instance("TextLabel");
		label.Name = name;
		label.LayoutOrder = order;
		label.Size = new UDim2(width, width < 1 ? -GAP / 2 : 0, 0, height);
		label.BackgroundTransparency = 1;
		label.Text = text;
		label.TextWrapped = true;
		label.TextSize = size;
		label.Font = style.font;
		label.TextColor3 = style.textColor;
		label.TextXAlignment = Enum.TextXAlignment.Left;
		label.Parent = parent;
		return label;
	}

	private button(
		parent: Frame,
		name: string,
		text: string,
		order: number,
		color: Color3,
		style: Required<ConsentPromptStyle>,
		width: number,
	): TextButton {
		const button = new Instance("TextButton");
		button.Name = name;
		button.LayoutOrder = order;
		button.Size = new UDim2(width, -GAP, 1, 0);
		button.BackgroundColor3 = color;
		button.BorderSizePixel = 0;
		button.AutoButtonColor = true;
		button.Selectable = true;
		button.Text = text;
		button.TextSize = 16;
		button.TextWrapped = true;
		button.Font = style.font;
		button.TextColor3 = style.textColor;
		button.Parent = parent;
		this.corner(button, style.cornerRadius);
		return button;
	}

	private corner(target: GuiObject, radius: number): void {
		const corner = new Instance("UICorner");
		corner.CornerRadius = new UDim(0, radius);
		corner.Parent = target;
	}

	/** Gamepad navigation between neighbours, in both directions. */
	private link(objects: GuiObject[], direction: "horizontal" | "vertical"): void {
		for (let i = 0; i < objects.size(); i++) {
			const here = objects[i];
			const after = objects[i + 1];
			if (after === undefined) continue;
			if (direction === "horizontal") {
				here.NextSelectionRight = after;
				after.NextSelectionLeft = here;
			} else {
				here.NextSelectionDown = after;
				after.NextSelectionUp = here;
			}
		}
	}
}
