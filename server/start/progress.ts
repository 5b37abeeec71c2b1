/** Where progress goes: stdout, or a fake in tests. */
export interface ProgressOutput {
	write(text: string): unknown;
	/** A terminal gets one bar redrawn in place; anything else (a pipe, a CI log) gets plain lines. */
	isTTY?: boolean;
}

export interface ProgressOptions {
	/** Monotonic ms. @default performance.now */
	now?: () => number;
	/** Fewest ms between two redraws of the bar. @default 100 */
	redrawMs?: number;
	/** Without a terminal, a line at each step of this many percent … @default 10 */
	lineEveryPercent?: number;
	/** … or when this many ms passed since the last line. @default 15000 */
	lineEveryMs?: number;
}

export interface ProgressReporter {
	/** `done` of `total` steps; `label` says what is being done. */
	update(done: number, total: number, label: string): void;
	/** Ends the bar (a terminal gets its line closed) and prints `message` on a line of its own. */
	finish(message: string): void;
}

const BAR_WIDTH = 30;

/**
 * A progress display for a long job: on a terminal a single line `[#####.....]  42%  label` redrawn with `\r`
 * (throttled); elsewhere one plain line per {@link ProgressOptions.lineEveryPercent} percent or per
 * {@link ProgressOptions.lineEveryMs}, so a log file gets a handful of lines rather than thousands.
 *
 * @example
 * const progress = createProgressReporter(process.stdout);
 * progress.update(3, 28, "day 3 of 28");
 * progress.finish("History seeded.");
 */
export function createProgressReporter(out: ProgressOutput, options: ProgressOptions = {}): ProgressReporter {
	const now = options.now ?? (() => performance.now());
	const redrawMs = options.redrawMs ?? 100;
	const lineEveryPercent = options.lineEveryPercent ?? 10;
	const lineEveryMs = options.lineEveryMs ?? 15_000;
	let lastDrawAt = -Infinity;
	let lastPercentStep = -1;
	let barShown = false;
	let lastWidth = 0;

	return {
		update(done, total, label) {
			const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
			const percent = Math.floor(fraction * 100);
			const complete = fraction >= 1;
			const at = now();

			// 1. a terminal: redraw the bar in place, at most every redrawMs (always at 100 %).
			if (out.isTTY) {
				if (!complete && at - lastDrawAt < redrawMs) return;
				lastDrawAt = at;
				const filled = Math.round(fraction * BAR_WIDTH);
				const text = `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}%  ${label}`;
				// Spaces over what a longer previous line left behind.
				out.write(`\r${text}${" ".repeat(Math.max(0, lastWidth - text.length))}`);
				lastWidth = text.length;
				barShown = true;
				return;
			}
			// 2. anything else: a line per percent step or per lineEveryMs, and the last one.
			const step = Math.floor(percent / lineEveryPercent);
			if (!complete && step === lastPercentStep && at - lastDrawAt < lineEveryMs) return;
			if (complete && lastPercentStep === Infinity) return;
			lastPercentStep = complete ? Infinity : step;
			lastDrawAt = at;
			out.write(`${String(percent).padStart(3)}%  ${label} (${done}/${total})\n`);
		},
		finish(message) {
			if (barShown) out.write("\n");
			barShown = false;
			out.write(`${message}\n`);
		},
	};
}
