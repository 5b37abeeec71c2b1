// Loading, empty and error states: each says what is happening and, when nothing can be shown, what to do about it.
import type { ComponentChildren } from "preact";

/** Placeholder while data loads; announced politely to screen readers. */
export function Loading(props: { label: string }) {
	return (
		<div class="state state-loading" role="status" aria-live="polite">
			<span class="spinner" aria-hidden="true" />
			{props.label}
		</div>
	);
}

/** Nothing to show yet: a title and the steps that would change that. */
export function Empty(props: { title: string; children: ComponentChildren }) {
	return (
		<section class="state state-empty" aria-label={props.title}>
			<h2>{props.title}</h2>
			{props.children}
		</section>
	);
}

/** A request failed: the server's own explanation (problem detail), and a way to retry. */
export function Failed(props: { what: string; error: unknown; onRetry?: () => void }) {
	const detail = props.error instanceof Error ? props.error.message : String(props.error);
	return (
		<div class="state state-error" role="alert">
			<p>
				<strong>Could not load {props.what}.</strong> {detail}
			</p>
			{props.onRetry ? (
				<button type="button" onClick={props.onRetry}>
					Try again
				</button>
			) : null}
		</div>
	);
}
