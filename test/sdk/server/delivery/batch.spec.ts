import { describe, expect, it } from "@rbxts/jest-globals";
import { HttpService } from "@rbxts/services";
import { batchBody, decodeEvents, encodeEvents, sealBatches, splitBatch } from "../../../../src/server/delivery/batch";
import { packChunks } from "../../../../src/server/delivery/spill-store";
import { makeEvents } from "./helpers";

let seq = 0;
const nextId = () => `B${++seq}`;

describe("sealBatches", () => {
	it("cuts by event count", () => {
		const batches = sealBatches(makeEvents(25), 10, 1024 * 1024, nextId);
		expect(batches.map((b) => b.count)).toEqual([10, 10, 5]);
		expect(decodeEvents(batches[2]).size()).toBe(5);
	});

	it("cuts by body size, each body within the limit", () => {
		const events = makeEvents(300, 500);
		const batches = sealBatches(events, 10000, 64 * 1024, nextId);
		let total = 0;
		for (const b of batches) {
			total += b.count;
			expect(batchBody(b, 1767225600000).size() <= 64 * 1024).toBe(true);
		}
		expect(total).toBe(300);
		expect(batches.size() > 2).toBe(true);
	});

	it("keeps the events in order and writes empty props as an object", () => {
		const events = makeEvents(3);
		events[1].props = {};
		const [batch] = sealBatches(events, 10, 1024 * 1024, nextId);
		expect(batch.eventsJson.find('"props":{}', 1, true)[0] !== undefined).toBe(true);
		expect(batch.eventsJson.find('"props":[]', 1, true)[0]).toBeUndefined();
		expect(decodeEvents(batch).map((e) => e.id)).toEqual(events.map((e) => e.id));
	});
});

describe("batchBody", () => {
	it("stamps sentAt per attempt around the same sealed events", () => {
		const [batch] = sealBatches(makeEvents(2), 10, 1024 * 1024, nextId);
		const first = HttpService.JSONDecode(batchBody(batch, 1767225600000)) as { sentAt: number; batchId: string };
		const later = HttpService.JSONDecode(batchBody(batch, 1767225660000)) as { sentAt: number; batchId: string };
		expect(first.sentAt).toBe(1767225600000);
		expect(later.sentAt).toBe(1767225660000);
		expect(later.batchId).toBe(first.batchId);
		expect(batchBody(batch, 1).sub(-batch.eventsJson.size() - 1)).toBe(`${batch.eventsJson}}`);
	});
});

describe("splitBatch", () => {
	it("halves a batch into two with derived ids and the same events", () => {
		const [batch] = sealBatches(makeEvents(5), 10, 1024 * 1024, nextId);
		const [a, b] = splitBatch(batch)!;
		expect([a.id, b.id]).toEqual([`${batch.id}-0`, `${batch.id}-1`]);
		expect([a.count, b.count]).toEqual([2, 3]);
		const ids = [...decodeEvents(a), ...decodeEvents(b)].map((e) => e.id);
		expect(ids).toEqual(decodeEvents(batch).map((e) => e.id));
		expect(splitBatch(sealBatches(makeEvents(1), 10, 1024 * 1024, nextId)[0])).toBeUndefined();
	});
});

describe("packChunks", () => {
	it("fills chunks up to the size limit in order and sets aside batches too big for any chunk", () => {
		const batches = sealBatches(makeEvents(40, 200), 10, 1024 * 1024, nextId);
		const { chunks, tooBig } = packChunks(batches, 6000);
		expect(tooBig.size()).toBe(0);
		expect(chunks.size() > 1).toBe(true);
		const order = new Array<string>();
		for (const chunk of chunks) {
			let size = 200;
			for (const b of chunk) {
				order.push(b.id);
				size += HttpService.JSONEncode(b.eventsJson).size() + b.id.size() + 40;
			}
			expect(size <= 6000).toBe(true);
		}
		expect(order).toEqual(batches.map((b) => b.id));
		expect(packChunks([encodeEventsBatch()], 1000).tooBig.size()).toBe(1);
	});
});

function encodeEventsBatch() {
	const events = makeEvents(20, 100);
	return { id: "BIG", eventsJson: encodeEvents(events), count: events.size(), attempts: 0 };
}
