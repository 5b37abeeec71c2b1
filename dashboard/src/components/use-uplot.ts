// The life of one uPlot chart in a Preact component: built when its inputs or the theme change, the axis ticks it
// drew kept on the host element (data-x-ticks / data-y-ticks, for tests and the summary), the canvas named for screen
// readers, resized with its host, destroyed with the component. Chart and Plot differ only in options and summary.
import { useEffect, useRef, useState, type Inputs } from "preact/hooks";
import uPlot from "uplot";
import { currentTheme, onThemeChange, type Theme } from "../theme.js";

export interface UPlotSpec {
	/** uPlot's options for the theme and width; fills `ticks` ([x, y]) as the axes are drawn. */
	options: (theme: Theme, width: number, ticks: string[][]) => uPlot.Options;
	data: uPlot.AlignedData;
	/** What a screen reader hears instead of the canvas. */
	summary: string;
}

/** Builds the chart into the returned ref's element; `inputs` are what the spec depends on (the theme is added). */
export function useUPlot(spec: () => UPlotSpec, inputs: Inputs) {
	const host = useRef<HTMLDivElement>(null);
	const [theme, setTheme] = useState<Theme>(currentTheme);
	useEffect(() => onThemeChange(() => setTheme(currentTheme())), []);

	useEffect(() => {
		const el = host.current;
		if (!el) return;
		const { options, data, summary } = spec();
		const ticks: string[][] = [];
		const opts = options(theme, Math.max(el.clientWidth, 120), ticks);
		opts.hooks = {
			draw: [
				() => {
					el.dataset.xTicks = (ticks[0] ?? []).join("|");
					el.dataset.yTicks = (ticks[1] ?? []).join("|");
				},
			],
		};
		const plot = new uPlot(opts, data, el);
		// The canvas is what a screen reader cannot see: name it with the summary.
		const wrap = plot.root.querySelector(".u-wrap");
		wrap?.setAttribute("role", "img");
		wrap?.setAttribute("aria-label", summary);
		const resize = new ResizeObserver(() => {
			const width = Math.max(el.clientWidth, 120);
			if (width !== plot.width) plot.setSize({ width, height: plot.height });
		});
		resize.observe(el);
		return () => {
			resize.disconnect();
			plot.destroy();
		};
	}, [...inputs, theme]);

	return host;
}
