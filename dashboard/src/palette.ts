// Series colours: the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), told apart by people with any
// common colour-vision deficiency. Series after the first also get a dash pattern, so even a grey print separates
// them. Dark theme leads with the lighter members, which keep contrast on a dark background.
import type { Theme } from "./theme.js";

export const OKABE_ITO = {
	orange: "#E69F00",
	skyBlue: "#56B4E9",
	bluishGreen: "#009E73",
	yellow: "#F0E442",
	blue: "#0072B2",
	vermillion: "#D55E00",
	reddishPurple: "#CC79A7",
} as const;

const LIGHT = [
	OKABE_ITO.blue,
	OKABE_ITO.orange,
	OKABE_ITO.bluishGreen,
	OKABE_ITO.vermillion,
	OKABE_ITO.reddishPurple,
	OKABE_ITO.skyBlue,
];
const DARK = [
	OKABE_ITO.skyBlue,
	OKABE_ITO.orange,
	OKABE_ITO.bluishGreen,
	OKABE_ITO.yellow,
	OKABE_ITO.reddishPurple,
	OKABE_ITO.vermillion,
];
const DASHES: number[][] = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 2], [8, 2]];

/** Colour and dash of series number `index` (from 0). */
export function seriesStyle(theme: Theme, index: number): { stroke: string; dash: number[] } {
	const colours = theme === "dark" ? DARK : LIGHT;
	return { stroke: colours[index % colours.length]!, dash: DASHES[index % DASHES.length]! };
}

/** `#RRGGBB` with an alpha, for area fills. */
export function withAlpha(hex: string, alpha: number): string {
	const n = Number.parseInt(hex.slice(1), 16);
	return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
