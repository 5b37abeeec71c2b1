import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { ListEventsQuery, Store, StoredEvent } from "../store/types.js";
import { CSV_CONTENT_TYPE, csvHeader, csvLine } from "./csv.js";

/** The file formats raw events export to. */
export const EVENT_EXPORT_FORMATS = ["ndjson", "csv", "parquet"] as const;
export type EventExportFormat = (typeof EVENT_EXPORT_FORMATS)[number];

/** Columns of every format, in order. `time` and `receivedAt` are unix ms; `props` is JSON text (an object in NDJSON). */
export const EVENT_EXPORT_COLUMNS = [
	"id",
	"gameId",
	"batchId",
	"userId",
	"sessionId",
	"type",
	"name",
	"time",
	"receivedAt",
	"props",
] as const;

/** Content-Type and file extension of each format. */
export const EVENT_EXPORT_MEDIA: Readonly<Record<EventExportFormat, { contentType: string; extension: string }>> = {
	ndjson: { contentType: "application/x-ndjson", extension: "ndjson" },
	csv: { contentType: CSV_CONTENT_TYPE, extension: "csv" },
	parquet: { contentType: "application/vnd.apache.parquet", extension: "parquet" },
};

/**
 * Events read from the store per page, which is also the rows per Parquet row group. Bounds the export's memory:
 * one page of events plus its encoding (~1–2 MB with typical props).
 */
export const DEFAULT_EXPORT_PAGE_SIZE = 5000;

/** Which events an export holds: the filters of {@link ListEventsQuery}; the export pages by itself. */
export type EventExportQuery = Omit<ListEventsQuery, "limit" | "after">;

export interface EventExportOptions {
	store: Pick<Store, "listEvents">;
	query: EventExportQuery;
	format: EventExportFormat;
	/** @default DEFAULT_EXPORT_PAGE_SIZE */
	pageSize?: number;
}

/**
 * The matching events as a byte stream of one format, read page by page (keyset cursor on the event id) only as
 * the consumer asks for more: memory stays at about one page whatever the export's size, and a slow client slows
 * the reads instead of filling memory. Cancelling the stream (the client went away) stops the reads.
 *
 * The first page is read before this resolves, so a store failure at the start still becomes an error response
 * rather than a truncated download.
 *
 * @example
 * const body = await exportEvents({ store, query: { gameId: "g1", from, to }, format: "csv" });
 * return new Response(body, { headers: { "Content-Type": EVENT_EXPORT_MEDIA.csv.contentType } });
 */
export async function exportEvents(options: EventExportOptions): Promise<ReadableStream<Uint8Array>> {
	const pageSize = options.pageSize ?? DEFAULT_EXPORT_PAGE_SIZE;
	const readPage = (after: string | undefined) =>
		options.store.listEvents({ ...options.query, limit: pageSize, ...(after === undefined ? {} : { after }) });

	let ahead: StoredEvent[] | undefined = await readPage(undefined);
	let after: string | undefined;
	let cancelled = false;
	const encoder = eventEncoder(options.format);

	return new ReadableStream<Uint8Array>(
		{
			start(controller) {
				enqueue(controller, encoder.start());
			},
			// Called only while the queue is below its high-water mark: one encoded page waits at most.
			async pull(controller) {
				const events = ahead ?? (await readPage(after));
				ahead = undefined;
				if (cancelled) return;
				const last = events.at(-1);
				if (last) {
					enqueue(controller, encoder.page(events));
					after = last.id;
				}
				if (events.length < pageSize) {
					enqueue(controller, encoder.end());
					controller.close();
				}
			},
			cancel() {
				cancelled = true;
			},
		},
		new CountQueuingStrategy({ highWaterMark: 1 }),
	);
}

function enqueue(controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array): void {
	if (bytes.byteLength > 0) controller.enqueue(bytes);
}

/** Turns pages of events into the bytes of one file format. */
export interface EventEncoder {
	/** Bytes before the first event (the CSV header, Parquet's magic number). */
	start(): Uint8Array;
	/** One page of events, in order. */
	page(events: readonly StoredEvent[]): Uint8Array;
	/** Bytes after the last event (Parquet's footer). */
	end(): Uint8Array;
}

const utf8 = new TextEncoder();
const NOTHING = new Uint8Array(0);

/**
 * A fresh encoder of `format` (Parquet encoders keep the row-group directory, so one per file).
 *
 * @example
 * const encoder = eventEncoder("ndjson");
 * const bytes = [encoder.start(), encoder.page(events), encoder.end()];
 */
export function eventEncoder(format: EventExportFormat): EventEncoder {
	switch (format) {
		case "ndjson":
			return {
				start: () => NOTHING,
				page: (events) => utf8.encode(events.map((event) => JSON.stringify(exportRecord(event)) + "\n").join("")),
				end: () => NOTHING,
			};
		case "csv":
			return {
				start: () => utf8.encode(csvHeader(EVENT_EXPORT_COLUMNS)),
				page: (events) => utf8.encode(events.map((event) => csvLine(csvValues(event))).join("")),
				end: () => NOTHING,
			};
		case "parquet":
			return parquetEncoder();
	}
}

/** An event with exactly the export's columns, in their order. */
function exportRecord(event: StoredEvent): Record<(typeof EVENT_EXPORT_COLUMNS)[number], unknown> {
	return {
		id: event.id,
		gameId: event.gameId,
		batchId: event.batchId,
		userId: event.userId,
		sessionId: event.sessionId,
		type: event.type,
		name: event.name,
		time: event.time,
		receivedAt: event.receivedAt,
		props: event.props,
	};
}

function csvValues(event: StoredEvent): unknown[] {
	return [
		event.id,
		event.gameId,
		event.batchId,
		event.userId,
		event.sessionId,
		event.type,
		event.name,
		event.time,
		event.receivedAt,
		JSON.stringify(event.props),
	];
}

type ParquetSchema = ConstructorParameters<typeof ParquetWriter>[0]["schema"];

const required = "REQUIRED" as const;
const text = (name: string) => ({
	name,
	type: "BYTE_ARRAY" as const,
	converted_type: "UTF8" as const,
	repetition_type: required,
});
/** INT64 unix ms, annotated as a UTC timestamp so query engines show dates while the stored value stays unix ms. */
const millis = (name: string) => ({
	name,
	type: "INT64" as const,
	converted_type: "TIMESTAMP_MILLIS" as const,
	logical_type: { type: "TIMESTAMP" as const, isAdjustedToUTC: true, unit: "MILLIS" as const },
	repetition_type: required,
});

/** The Parquet schema of an event export: every column required; props as JSON text. */
export const EVENT_PARQUET_SCHEMA: ParquetSchema = [
	{ name: "root", num_children: EVENT_EXPORT_COLUMNS.length },
	text("id"),
	text("gameId"),
	text("batchId"),
	{ name: "userId", type: "INT64", repetition_type: required },
	text("sessionId"),
	text("type"),
	text("name"),
	millis("time"),
	millis("receivedAt"),
	{ name: "props", type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: required },
];

/** A ByteWriter whose bytes are handed out after each row group, so the file never sits in memory whole. */
class ChunkWriter extends ByteWriter {
	/** The bytes written since the last call, copied because the buffer is reused. */
	take(): Uint8Array {
		const bytes = this.getBytes().slice();
		this.index = 0;
		return bytes;
	}
}

/**
 * One row group per page. The writer keeps only the row-group directory (a few hundred bytes per group) until the
 * footer; the rows themselves leave with each page.
 */
function parquetEncoder(): EventEncoder {
	const writer = new ChunkWriter();
	let parquet: ParquetWriter | undefined;
	let rowGroups = 0;
	return {
		start() {
			// The constructor writes the leading magic number.
			parquet = new ParquetWriter({ writer, schema: EVENT_PARQUET_SCHEMA, createdBy: "vantage" });
			return writer.take();
		},
		page(events) {
			if (!parquet) throw new Error("parquet encoder not started");
			// The writer has no flush hook, so write() runs synchronously.
			void parquet.write({
				rowGroupSize: events.length,
				columnData: [
					{ name: "id", data: events.map((e) => e.id) },
					{ name: "gameId", data: events.map((e) => e.gameId) },
					{ name: "batchId", data: events.map((e) => e.batchId) },
					{ name: "userId", data: events.map((e) => BigInt(e.userId)) },
					{ name: "sessionId", data: events.map((e) => e.sessionId) },
					{ name: "type", data: events.map((e) => e.type) },
					{ name: "name", data: events.map((e) => e.name) },
					{ name: "time", data: events.map((e) => BigInt(e.time)) },
					{ name: "receivedAt", data: events.map((e) => BigInt(e.receivedAt)) },
					// JSON columns take values and serialise them.
					{ name: "props", data: events.map((e) => e.props) },
				],
			});
			rowGroups++;
			return writer.take();
		},
		end() {
			if (!parquet) throw new Error("parquet encoder not started");
			void parquet.finish();
			const footer = writer.take();
			return rowGroups === 0 ? declareEmptyRowGroupList(footer) : footer;
		},
	};
}

/** Thrift compact bytes of the footer around an empty row-group list: num_rows 0, row_groups [], created_by. */
const EMPTY_ROW_GROUPS = [0x16, 0x00, 0x19, 0x00, 0x28, 0x07, ...utf8.encode("vantage")];
const ROW_GROUP_LIST_HEADER = 3;
const STRUCT_ELEMENTS = 0x0c;

/**
 * hyparquet-writer 0.17 declares an empty list's element type as 0 instead of the list's type; readers that check
 * it (arrow-rs, so parquet-wasm, DataFusion, delta-rs) then refuse a file without row groups. An export matching
 * nothing is such a file, and its footer is fixed by our schema, so the list header is found exactly and marked
 * as a list of structs (0x0C), as the format says. The length stays the same. Remove once the library writes it.
 */
function declareEmptyRowGroupList(footer: Uint8Array): Uint8Array {
	const at = indexOfBytes(footer, EMPTY_ROW_GROUPS);
	if (at < 0 || indexOfBytes(footer, EMPTY_ROW_GROUPS, at + 1) >= 0) return footer;
	footer[at + ROW_GROUP_LIST_HEADER] = STRUCT_ELEMENTS;
	return footer;
}

function indexOfBytes(haystack: Uint8Array, needle: readonly number[], from = 0): number {
	outer: for (let i = from; i + needle.length <= haystack.length; i++) {
		for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
		return i;
	}
	return -1;
}
