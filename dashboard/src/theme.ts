// Light and dark: the system's preference (prefers-color-scheme) unless the user picked one, remembered in this
// browser. CSS does the page (styles.css reads data-theme); charts draw on canvas, so they ask for the colours here
// and redraw when the theme changes.

export type ThemeChoice = "system" | "light" | "dark";
export type Theme = "light" | "dark";

const STORAGE_KEY = "vantage-theme";
const listeners = new Set<() => void>();
const darkQuery = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : undefined;
darkQuery?.addEventListener("change", () => notify());

function notify(): void {
	for (const listener of listeners) listener();
}

export function themeChoice(): ThemeChoice {
	try {
		const stored = localStorage.getItem(STORAGE_KEY);
		return stored === "light" || stored === "dark" ? stored : "system";
	} catch {
		return "system";
	}
}

/** The theme in force: the choice, or the system's preference. */
export function currentTheme(): Theme {
	const choice = themeChoice();
	if (choice !== "system") return choice;
	return darkQuery?.matches ? "dark" : "light";
}

/** Applies the stored choice to the page (at start). */
export function applyTheme(): void {
	document.documentElement.dataset.theme = themeChoice();
}

export function setThemeChoice(choice: ThemeChoice): void {
	try {
		if (choice === "system") localStorage.removeItem(STORAGE_KEY);
		else localStorage.setItem(STORAGE_KEY, choice);
	} catch {
		// Storage may be off (private mode): the choice then lasts for this page only.
	}
	document.documentElement.dataset.theme = choice;
	notify();
}

/** Calls `listener` whenever the theme in force may have changed; returns the unsubscribe. */
export function onThemeChange(listener: () => void): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}
