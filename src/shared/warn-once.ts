/**
 * Warns once per distinct message, so a bad call in a loop cannot flood the Output window.
 * One instance per Vantage start, shared by every part of the SDK.
 */
export class WarnOnce {
	private seen = new Set<string>();

	warn(message: string): void {
		if (this.seen.has(message)) return;
		this.seen.add(message);
		warn(`[Vantage] ${message}`);
	}
}
