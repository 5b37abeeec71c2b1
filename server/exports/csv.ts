/**
 * CSV writing per RFC 4180, for every export that offers CSV (raw events, metrics).
 *
 * - Records end with CRLF; fields are separated by commas.
 * - A field is quoted only when it must be: it contains a comma, a double quote, CR or LF. Quotes inside are doubled.
 * - Numbers are plain decimals, never exponent notation (`1e21` → `1000000000000000000000`), because spreadsheets
 *   and some loaders read exponents as text; non-finite numbers, null and undefined are empty fields.
 * - Text is UTF-8 (the caller encodes); no byte-order mark, so parsers read the first column name as written.
 *
 * Formula injection: off by default, because a guard changes the data (a leading `'`), and exports are read back by
 * programs more than opened in spreadsheets. Pass `{ formulaGuard: true }` for files meant for spreadsheets whose
 * text cells hold values players or third parties control.
 */

/** The Content-Type of a CSV response. */
export const CSV_CONTENT_TYPE = "text/csv; charset=utf-8";

export interface CsvOptions {
	/**
	 * Prefix `'` to text fields starting with `=`, `+`, `-`, `@`, tab or CR, so spreadsheets show them as text
	 * instead of evaluating them (OWASP's CSV injection advice). Numbers are never changed.
	 * @default false
	 */
	formulaGuard?: boolean;
}

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One field: the value's text, quoted when needed.
 * Strings as they are; numbers as plain decimals; booleans `true`/`false`; bigints in decimal; dates as ISO 8601;
 * null, undefined and non-finite numbers empty; anything else (objects, arrays) as JSON.
 *
 * @example
 * csvField('say "hi", then go'); // '"say ""hi"", then go"'
 * csvField(1e21); // "1000000000000000000000"
 */
export function csvField(value: unknown, options: CsvOptions = {}): string {
	if (value === null || value === undefined) return "";
	if (typeof value === "number") return plainDecimal(value);
	if (typeof value === "bigint" || typeof value === "boolean") return String(value);
	let text: string;
	if (typeof value === "string") text = value;
	else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? "" : value.toISOString();
	else text = JSON.stringify(value) ?? "";
	if (options.formulaGuard && FORMULA_START.test(text)) text = `'${text}`;
	return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One record, CRLF-terminated, so records concatenate into a file (or a response stream) as they are.
 *
 * @example
 * csvLine(["a,b", 2, null]); // '"a,b",2,\r\n'
 */
export function csvLine(values: readonly unknown[], options: CsvOptions = {}): string {
	let line = "";
	for (let i = 0; i < values.length; i++) {
		if (i > 0) line += ",";
		line += csvField(values[i], options);
	}
	return line + "\r\n";
}

/**
 * The header record: the column names as one CRLF-terminated line (names are never formula-guarded: they are ours).
 *
 * @example
 * csvHeader(["day", "users"]); // "day,users\r\n"
 */
export function csvHeader(columns: readonly string[]): string {
	return csvLine(columns);
}

/**
 * A whole CSV document: the header, then one record per row (each row's values in column order).
 * For large outputs stream {@link csvLine} per row instead of building one string.
 *
 * @example
 * toCsv(["day", "users"], [["2025-01-01", 120], ["2025-01-02", 98]]);
 * // "day,users\r\n2025-01-01,120\r\n2025-01-02,98\r\n"
 */
export function toCsv(
	columns: readonly string[],
	rows: Iterable<readonly unknown[]>,
	options: CsvOptions = {},
): string {
	let out = csvHeader(columns);
	for (const row of rows) out += csvLine(row, options);
	return out;
}

/**
 * The shortest decimal that reads back as `value`, without exponent notation (`-0` is `0`).
 * JavaScript switches to exponents below 1e-6 and from 1e21; the digits stay the same, only the point moves.
 */
function plainDecimal(value: number): string {
	if (!Number.isFinite(value)) return "";
	if (value === 0) return "0";
	const text = String(value);
	const e = text.indexOf("e");
	if (e < 0) return text;
	const negative = text.startsWith("-");
	const mantissa = text.slice(negative ? 1 : 0, e);
	const exponent = Number(text.slice(e + 1));
	const point = mantissa.indexOf(".");
	const digits = point < 0 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
	// Position of the decimal point within `digits` once the exponent is applied.
	const at = (point < 0 ? mantissa.length : point) + exponent;
	let plain: string;
	if (at <= 0) plain = `0.${"0".repeat(-at)}${digits}`;
	else if (at >= digits.length) plain = digits + "0".repeat(at - digits.length);
	else plain = `${digits.slice(0, at)}.${digits.slice(at)}`;
	return negative ? `-${plain}` : plain;
}
