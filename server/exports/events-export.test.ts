import { request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { serve, type ServerType } from "@hono/node-server";
import { tableFromIPC } from "apache-arrow";
import { parse } from "csv-parse/sync";
import { ParquetFile, readParquet } from "parquet-wasm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/schema.js";
import type { ListEventsQuery, Store, StoredEvent } from "../store/types.js";
import { T0, jsonRequest, makeBatch, makeEvent } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { EVENT_EXPORT_COLUMNS, exportEvents, type EventExportFormat } from "./events-export.js";

const NOW = T0 + 1000;

let t: TestApp;
let analystAuth: string;
beforeEach(async () => {
	t = await createTestApp({ now: NOW });
	analystAuth = await t.adminAuth("analyst");
	// The analyst's role is on g1: a game they have no role on answers 404 before any parameter is read.
	await t.store.createGame({ id: "g1", name: "g1", createdAt: NOW });
});
afterEach(() => t.close());

/** Text that breaks naive CSV writers and encoders: separators, quotes, every line break, non-ASCII. */
const AWKWARD = [
	"comma, inside",
	'quote " inside ""twice""',
	"line\nfeed",
	"carriage\rreturn",
	"crlf\r\nend\r\n",
	"é à ç ñ",
	"日本語",
	"emoji 🎮 👩‍👩‍👧 🇯🇵",
	" padded ",
	"=1+2",
	"plain",
];

function awkwardEvents(count: number): IngestEvent[] {
	return Array.from({ length: count }, (_, i) =>
		makeEvent({
			id: `x-${String(i).padStart(6, "0")}`,
			time: T0 + i * 10,
			userId: i === 1 ? Number.MAX_SAFE_INTEGER : i % 97,
			sessionId: AWKWARD[(i + 3) % AWKWARD.length] ?? "",
			type: i % 5 === 0 ? "progression" : "custom",
			name: AWKWARD[i % AWKWARD.length] ?? "",
			props: { text: AWKWARD[(i + 7) % AWKWARD.length] ?? "", n: i * 1.5, neg: -i, flag: i % 2 === 0, none: null },
		}),
	);
}

/** Ingests through the API, ≤ 10,000 events a batch, and returns what the store then holds, in id order. */
async function ingest(events: IngestEvent[]): Promise<StoredEvent[]> {
	const auth = await t.gameAuth("g1");
	for (let i = 0; i < events.length; i += 10_000) {
		const batch = makeBatch(events.slice(i, i + 10_000), { batchId: `b-${i}` });
		const res = await t.app.request(
			"/v1/batches",
			jsonRequest(batch, { gzip: true, headers: { Authorization: auth } }),
		);
		expect(await res.json()).toMatchObject({ rejected: [] });
	}
	return t.store.listEvents({ gameId: "g1", limit: events.length + 1 });
}

async function download(query: string, auth = analystAuth): Promise<Response> {
	return t.app.request(`/v1/games/g1/events/export?${query}`, { headers: { Authorization: auth } });
}

async function bytesOf(res: Response): Promise<Uint8Array> {
	expect(res.status).toBe(200);
	return new Uint8Array(await res.arrayBuffer());
}

function ndjsonRecords(text: string): unknown[] {
	if (text === "") return [];
	expect(text.endsWith("\n")).toBe(true);
	return text
		.slice(0, -1)
		.split("\n")
		.map((line) => JSON.parse(line) as unknown);
}

/** CSV read by an independent parser; any line break outside quotes ends a record, as spreadsheets read it. */
function parseCsv(text: string): string[][] {
	return parse(text, { record_delimiter: ["\r\n", "\r", "\n"], relax_column_count: false }) as string[][];
}

/** Rows of a Parquet file read by an independent implementation (arrow-rs compiled to WASM), as plain objects. */
function parquetRows(bytes: Uint8Array): { fields: string[]; rows: Record<string, unknown>[] } {
	const table = tableFromIPC(readParquet(bytes).intoIPCStream());
	return {
		fields: table.schema.fields.map((f) => `${f.name}:${String(f.type)}`),
		rows: table.toArray().map((row: { toJSON(): Record<string, unknown> }) => row.toJSON()),
	};
}

/** An event with exactly the export's columns, props as an object (NDJSON's shape). */
function record(e: StoredEvent): Record<string, unknown> {
	return {
		id: e.id,
		gameId: e.gameId,
		batchId: e.batchId,
		userId: e.userId,
		sessionId: e.sessionId,
		type: e.type,
		name: e.name,
		time: e.time,
		receivedAt: e.receivedAt,
		props: e.props,
	};
}

describe("GET /v1/games/:gameId/events/export", () => {
	it("streams NDJSON whose lines parse back to the stored events, keys in column order", async () => {
		const stored = await ingest(awkwardEvents(300));
		const res = await download("format=ndjson");
		const records = ndjsonRecords(new TextDecoder().decode(await bytesOf(res)));
		expect(records).toEqual(stored.map(record));
		expect(Object.keys(records[0] as object)).toEqual([...EVENT_EXPORT_COLUMNS]);
	});

	it("streams RFC 4180 CSV that an independent parser reads back, awkward text included", async () => {
		const stored = await ingest(awkwardEvents(300));
		const text = new TextDecoder("utf-8", { fatal: true }).decode(await bytesOf(await download("format=csv")));
		const [header, ...rows] = parseCsv(text);
		expect(header).toEqual([...EVENT_EXPORT_COLUMNS]);
		expect(rows).toEqual(
			stored.map((e) => [
				e.id,
				e.gameId,
				e.batchId,
				String(e.userId),
				e.sessionId,
				e.type,
				e.name,
				String(e.time),
				String(e.receivedAt),
				JSON.stringify(e.props),
			]),
		);
		// Every awkward value made it through somewhere, and records end with CRLF.
		for (const value of AWKWARD) expect(rows.some((row) => row.includes(value))).toBe(true);
		expect(text.endsWith("\r\n")).toBe(true);
	});

	it("writes Parquet that an independent reader reads back exactly, one row group per 5000 events", async () => {
		const stored = await ingest(awkwardEvents(12_001));
		const bytes = await bytesOf(await download("format=parquet"));
		const { fields, rows } = parquetRows(bytes);
		expect(fields).toEqual([
			"id:Utf8",
			"gameId:Utf8",
			"batchId:Utf8",
			"userId:Int64",
			"sessionId:Utf8",
			"type:Utf8",
			"name:Utf8",
			"time:Timestamp<MILLISECOND, UTC>",
			"receivedAt:Timestamp<MILLISECOND, UTC>",
			"props:Utf8",
		]);
		expect(rows).toEqual(
			stored.map((e) => ({ ...record(e), userId: BigInt(e.userId), props: JSON.stringify(e.props) })),
		);
		const file = await ParquetFile.fromFile(new Blob([bytes]));
		const groups = file.metadata().rowGroups();
		expect(groups.map((g) => g.numRows())).toEqual([5000, 5000, 2001]);
		file.free();
	});

	it("applies the filters to every format", async () => {
		const stored = await ingest(awkwardEvents(200));
		const from = T0 + 300;
		const to = T0 + 1500;
		const expected = stored.filter((e) => e.time >= from && e.time < to && e.name === "plain" && e.type === "custom");
		expect(expected.length).toBeGreaterThan(0);
		const query = `from=${new Date(from).toISOString()}&to=${to}&name=plain&type=custom`;

		const ndjson = ndjsonRecords(new TextDecoder().decode(await bytesOf(await download(`format=ndjson&${query}`))));
		expect(ndjson).toEqual(expected.map(record));
		const csv = parseCsv(new TextDecoder().decode(await bytesOf(await download(`format=csv&${query}`))));
		expect(csv.slice(1).map((row) => row[0])).toEqual(expected.map((e) => e.id));
		const parquet = parquetRows(await bytesOf(await download(`format=parquet&${query}`)));
		expect(parquet.rows.map((row) => row.id)).toEqual(expected.map((e) => e.id));

		const oneUser = ndjsonRecords(new TextDecoder().decode(await bytesOf(await download("format=ndjson&userId=5"))));
		expect(oneUser).toEqual(stored.filter((e) => e.userId === 5).map(record));
	});

	it.each<[EventExportFormat, string, string]>([
		["ndjson", "application/x-ndjson", "events-g1.ndjson"],
		["csv", "text/csv; charset=utf-8", "events-g1.csv"],
		["parquet", "application/vnd.apache.parquet", "events-g1.parquet"],
	])("answers %s as an attachment with its media type", async (format, contentType, filename) => {
		await ingest(awkwardEvents(3));
		const res = await download(`format=${format}`);
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe(contentType);
		expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${filename}"`);
		expect(res.headers.get("cache-control")).toBe("no-store");
	});

	it("exports an empty selection as a valid empty file of each format", async () => {
		await ingest(awkwardEvents(10));
		const none = "name=nobody";
		expect(await (await download(`format=ndjson&${none}`)).text()).toBe("");
		expect(await (await download(`format=csv&${none}`)).text()).toBe(`${EVENT_EXPORT_COLUMNS.join(",")}\r\n`);
		const parquet = parquetRows(await bytesOf(await download(`format=parquet&${none}`)));
		expect(parquet.rows).toEqual([]);
		expect(parquet.fields).toHaveLength(EVENT_EXPORT_COLUMNS.length);
	});

	it.each([
		["limit", "format=csv&limit=10", "limit"],
		["after", "format=csv&after=x-000001", "after"],
		["batchId", "format=csv&batchId=b-0", "batchId"],
		["an unknown parameter", "format=csv&fields=id", "fields"],
		["no format", "", "format"],
		["an unknown format", "format=xlsx", "format"],
		["from not before to", `format=csv&from=${T0 + 10}&to=${T0}`, "to"],
		["a bad time", "format=csv&from=soon", "from"],
	])("answers 400 naming the parameter for %s", async (_, query, path) => {
		const res = await download(query);
		expect(res.status).toBe(400);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
		const body = (await res.json()) as { code: string; errors: { path: string }[] };
		expect(body.code).toBe("validation_failed");
		expect(body.errors.map((e) => e.path)).toEqual([path]);
	});

	it("needs an analyst or owner token", async () => {
		expect((await download("format=csv", "")).status).toBe(401);
		expect((await download("format=csv", await t.gameAuth("g1"))).status).toBe(401);
		expect((await download("format=csv", await t.adminAuth("viewer"))).status).toBe(403);
		expect((await download("format=csv", await t.adminAuth("owner"))).status).toBe(200);
	});

	it("answers a store failure on the first page with a problem, not a truncated file", async () => {
		t.store.listEvents = () => Promise.reject(new Error("disk I/O error"));
		const res = await download("format=csv");
		expect(res.status).toBe(500);
		expect(res.headers.get("content-type")).toBe("application/problem+json");
	});
});

/** A store of `total` generated events (ids e-000000000…) that records every read; nothing is kept between reads. */
function generatedStore(total: number): Pick<Store, "listEvents"> & { reads: ListEventsQuery[] } {
	const reads: ListEventsQuery[] = [];
	return {
		reads,
		async listEvents(query) {
			reads.push(query);
			const start = query.after === undefined ? 0 : Number(query.after.slice(2)) + 1;
			const end = Math.min(total, start + query.limit);
			return Array.from({ length: Math.max(0, end - start) }, (_, k) => {
				const i = start + k;
				return {
					id: `e-${String(i).padStart(9, "0")}`,
					gameId: "g1",
					batchId: `b-${Math.floor(i / 1000)}`,
					userId: 1_000_000 + (i % 5000),
					sessionId: `s-${i % 977}`,
					type: "custom",
					name: `event_${i % 40}`,
					time: T0 + i,
					receivedAt: T0 + i + 250,
					props: { level: i % 50, mode: "story", currency: "gems", amount: i % 7, note: `row ${i}` },
				};
			});
		},
	};
}

async function drain(stream: ReadableStream<Uint8Array>, each?: (chunk: Uint8Array) => void): Promise<number> {
	let bytes = 0;
	for await (const chunk of stream) {
		bytes += chunk.byteLength;
		each?.(chunk);
	}
	return bytes;
}

/** Node's `gc`, or undefined where it cannot be had (then only the page-count argument is checked). */
function gcFunction(): (() => void) | undefined {
	const exposed = (globalThis as { gc?: () => void }).gc;
	if (exposed) return exposed;
	try {
		// Node allows turning the flag on at run time; the function is then found in a fresh context.
		setFlagsFromString("--expose-gc");
		return runInNewContext("gc") as () => void;
	} catch {
		return undefined;
	}
}

/** Waits until `read()` has not changed for 300 ms (at most 10 s) and returns its value. */
async function settled(read: () => number): Promise<number> {
	let value = read();
	for (let waited = 0; waited < 10_000; waited += 300) {
		await new Promise((resolve) => setTimeout(resolve, 300));
		const now = read();
		if (now === value) return now;
		value = now;
	}
	throw new Error("still changing after 10 s");
}

describe("exportEvents", () => {
	it.each<[EventExportFormat]>([["ndjson"], ["csv"], ["parquet"]])(
		"reads a %s export's pages only as the consumer asks for them",
		async (format) => {
			const store = generatedStore(100_000);
			const stream = await exportEvents({ store, query: { gameId: "g1" }, format, pageSize: 1000 });
			// Resolving read the first page (so a failing store still gets a proper error answer), nothing more.
			expect(store.reads).toHaveLength(1);
			const reader = stream.getReader();
			const first = await reader.read();
			expect(first.done).toBe(false);
			await new Promise((resolve) => setTimeout(resolve, 20));
			expect(store.reads.length).toBeLessThanOrEqual(2);
			// Each further chunk read asks for at most one more page, with the cursor of the last one.
			for (let i = 0; i < 5; i++) await reader.read();
			await new Promise((resolve) => setTimeout(resolve, 20));
			expect(store.reads.length).toBeLessThanOrEqual(7);
			expect(store.reads[1]).toMatchObject({ gameId: "g1", limit: 1000, after: "e-000000999" });
			// The client goes away: no more reads.
			const before = store.reads.length;
			await reader.cancel();
			await new Promise((resolve) => setTimeout(resolve, 20));
			expect(store.reads).toHaveLength(before);
		},
	);

	it("keeps at most two pages read ahead of the consumer and memory flat over 200,000 events", async () => {
		const total = 200_000;
		const pageSize = 5000;
		const gc = gcFunction();
		for (const format of ["ndjson", "parquet"] as const) {
			const store = generatedStore(total);
			gc?.();
			const baseline = process.memoryUsage().heapUsed;
			let chunks = 0;
			let maxAhead = 0;
			let maxGrowth = 0;
			const stream = await exportEvents({ store, query: { gameId: "g1" }, format, pageSize });
			const bytes = await drain(stream, () => {
				chunks++;
				maxAhead = Math.max(maxAhead, store.reads.length - chunks);
				if (gc && chunks % 8 === 0) {
					gc();
					maxGrowth = Math.max(maxGrowth, process.memoryUsage().heapUsed - baseline);
				}
			});
			expect(store.reads).toHaveLength(total / pageSize + 1);
			// Page reads never run more than two ahead of the chunks taken (chunks include the start bytes).
			expect(maxAhead).toBeLessThanOrEqual(2);
			expect(bytes, format).toBeGreaterThan(format === "parquet" ? 1_000_000 : 40_000_000);
			// After each collection the heap stays within 16 MiB of where it started (measured: ~50 KB for NDJSON,
			// ~1 MB for Parquet), while holding the export's events would take ~70 MB.
			if (gc) expect(maxGrowth, `${format}: heap grew ${maxGrowth} for ${bytes} bytes`).toBeLessThan(16 * 1024 * 1024);
		}
	});

	it("writes a Parquet file per page size that the independent reader reads back across row groups", async () => {
		const store = generatedStore(23);
		const stream = await exportEvents({ store, query: { gameId: "g1" }, format: "parquet", pageSize: 5 });
		const parts: Uint8Array[] = [];
		await drain(stream, (chunk) => parts.push(chunk));
		const bytes = new Uint8Array(Buffer.concat(parts));
		const { rows } = parquetRows(bytes);
		const expected = await store.listEvents({ gameId: "g1", limit: 100 });
		expect(rows).toEqual(
			expected.map((e) => ({ ...record(e), userId: BigInt(e.userId), props: JSON.stringify(e.props) })),
		);
		const file = await ParquetFile.fromFile(new Blob([bytes]));
		expect(
			file
				.metadata()
				.rowGroups()
				.map((g) => g.numRows()),
		).toEqual([5, 5, 5, 5, 3]);
		file.free();
	});

	it("reads one extra empty page when the last page is exactly full, and ends the stream", async () => {
		const store = generatedStore(10);
		const text = await new Response(
			await exportEvents({ store, query: { gameId: "g1" }, format: "ndjson", pageSize: 5 }),
		).text();
		expect(ndjsonRecords(text)).toHaveLength(10);
		expect(store.reads.map((q) => q.after)).toEqual([undefined, "e-000000004", "e-000000009"]);
	});

	it("errors the stream when a later page fails, so the download ends early instead of looking complete", async () => {
		const store = generatedStore(100);
		const failing: Pick<Store, "listEvents"> = {
			listEvents: (query) =>
				query.after === undefined ? store.listEvents(query) : Promise.reject(new Error("disk I/O error")),
		};
		const stream = await exportEvents({ store: failing, query: { gameId: "g1" }, format: "csv", pageSize: 10 });
		await expect(drain(stream)).rejects.toThrow("disk I/O error");
	});
});

describe("GET /v1/games/:gameId/events/export over HTTP", () => {
	let server: ServerType | undefined;
	afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

	it("stops reading the store while the client does not read, and stops for good when it hangs up", async () => {
		const store = generatedStore(1_000_000);
		// The app holds this store object: route its reads to the generated events.
		t.store.listEvents = (query) => store.listEvents(query);
		server = serve({ fetch: t.app.fetch, hostname: "127.0.0.1", port: 0 });
		await new Promise((resolve) => server?.once("listening", resolve));
		const { port } = server.address() as AddressInfo;

		const req = httpRequest({
			host: "127.0.0.1",
			port,
			path: "/v1/games/g1/events/export?format=ndjson",
			headers: { Authorization: analystAuth },
		});
		const res = await new Promise<IncomingMessage>((resolve, reject) => {
			req.once("response", resolve).once("error", reject).end();
		});
		expect(res.statusCode).toBe(200);
		// Take one chunk, then stop reading: socket buffers fill, writes wait for drain, the stream stops pulling.
		await new Promise((resolve) => res.once("data", resolve));
		res.pause();
		const whilePaused = await settled(() => store.reads.length);
		// 200 pages exist; only what fits in the socket buffers was read.
		expect(whilePaused).toBeLessThan(20);

		// Reading again resumes the reads; hanging up stops them for good.
		res.resume();
		await new Promise((resolve) => setTimeout(resolve, 50));
		req.destroy();
		const afterHangUp = await settled(() => store.reads.length);
		expect(afterHangUp).toBeGreaterThan(whilePaused);
		expect(afterHangUp).toBeLessThan(200);
	});
});
