// What the Experiments page's views share: who may write, how to move between views, and links that do so.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { ExperimentsView } from "./experiments-data.js";

export interface ExperimentsPageContext {
	game: string;
	/** Analysts and owners: the API lets them write. */
	canWrite: boolean;
	csrfToken: string;
	go: (next: ExperimentsView) => void;
	/** The link of a view (for href; clicks go through {@link ViewLink}). */
	href: (view: ExperimentsView) => string;
	/** The user moved here from another view of the page: its heading takes the focus. */
	moved: boolean;
	/** The game's today (YYYY-MM-DD), for estimates from its recent days. */
	today: string;
}

/**
 * The view's heading; after a move between views it takes the focus once it appears (a view may load first), so
 * keyboard and screen-reader users start at the new content.
 */
export function ViewHeading(props: { ctx: ExperimentsPageContext; children: ComponentChildren }) {
	const ref = useRef<HTMLHeadingElement>(null);
	useEffect(() => {
		if (props.ctx.moved) ref.current?.focus();
		// Once, when the heading first appears.
	}, []);
	return (
		<h1 ref={ref} tabIndex={-1}>
			{props.children}
		</h1>
	);
}

/** A link to a view of the page: a real link (new tab, copy), followed without reloading the page. */
export function ViewLink(props: {
	ctx: ExperimentsPageContext;
	view: ExperimentsView;
	class?: string;
	"aria-label"?: string;
	children: ComponentChildren;
}) {
	return (
		<a
			href={props.ctx.href(props.view)}
			class={props.class}
			aria-label={props["aria-label"]}
			onClick={(e) => {
				if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
				e.preventDefault();
				props.ctx.go(props.view);
			}}
		>
			{props.children}
		</a>
	);
}
