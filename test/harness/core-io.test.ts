// Host I/O (vm.startIo + H.awaitIo): asynchronous Node work delivered to the waiting Luau thread in zero virtual time.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RobloxVm, type ServicePlugin } from "./vm.js";

let dir: string;
let vm: RobloxVm;
let plugin: ServicePlugin;
let started = 0;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), "harness-io-"));
	const chunk = join(dir, "testio.luau");
	// What a service chunk does: call a host function that starts the operation, then wait for its result.
	writeFileSync(
		chunk,
		`local H = ...
		_G.hostFetch = function(value, ms, mode)
			return H.awaitIo(H.host.testFetch(value, ms, mode))
		end
		_G.hostStart = function(value, ms, mode)
			return H.host.testFetch(value, ms, mode)
		end
		_G.hostAwait = function(id)
			return H.awaitIo(id)
		end`,
	);
	plugin = {
		name: "TestIo",
		chunks: [chunk],
		host: (target) => ({
			testFetch: (value: string, ms: number, mode: string) => {
				started++;
				return target.startIo(() => {
					if (mode === "throw-sync") throw new Error(`sync failure for ${value}`);
					return sleep(ms).then(() => {
						if (mode === "reject") throw new Error(`failed: ${value}`);
						return `got ${value}`;
					});
				});
			},
		}),
	};
	vm = await RobloxVm.create({ role: "server", services: false, plugins: [plugin] });
});
afterAll(() => {
	vm.destroy();
	rmSync(dir, { recursive: true, force: true });
});

describe("host I/O", () => {
	it("delivers the value to the waiting thread before virtual time moves", async () => {
		const wallStart = Date.now();
		const [ok, value, elapsed] = await vm.run<[boolean, string, number]>(`
			local t = os.clock()
			local ok, value = _G.hostFetch("a", 50, "resolve")
			return ok, value, os.clock() - t`);
		expect(Date.now() - wallStart).toBeGreaterThanOrEqual(45);
		expect([ok, value, elapsed]).toEqual([true, "got a", 0]);
	});

	it("delivers failures as false, message (rejections and synchronous throws)", async () => {
		expect(
			await vm.run(`
				local ok1, e1 = _G.hostFetch("b", 5, "reject")
				local ok2, e2 = _G.hostFetch("c", 5, "throw-sync")
				return ok1, e1, ok2, e2`),
		).toEqual([false, "failed: b", false, "sync failure for c"]);
	});

	it("runs many concurrent operations, each result to its own thread, in zero virtual time", async () => {
		const n = 200;
		const before = started;
		const [count, allRight, elapsed] = await vm.run<[number, boolean, number]>(`
			local results, t = {}, os.clock()
			for i = 1, ${n} do
				task.spawn(function()
					local ok, v = _G.hostFetch(tostring(i), (i * 7) % 23, "resolve")
					results[i] = ok and v
				end)
			end
			local count, allRight = 0, true
			repeat
				count = 0
				for i = 1, ${n} do if results[i] then count += 1 end end
				if count < ${n} then task.wait() end
			until count == ${n}
			for i = 1, ${n} do if results[i] ~= "got " .. i then allRight = false end end
			return count, allRight, os.clock() - t`);
		expect(started - before).toBe(n);
		expect([count, allRight]).toEqual([n, true]);
		// the waiting loop ticks frames while nothing is pending; all I/O itself takes no virtual time
		expect(elapsed).toBeLessThanOrEqual(1 / 60 + 1e-9);
	});

	it("finishes I/O started by a background thread before advance() moves time", async () => {
		await vm.run(`
			_G.bg = nil
			task.spawn(function()
				local t = os.clock()
				local ok, v = _G.hostFetch("bg", 30, "resolve")
				_G.bg = { v, os.clock() - t }
			end)`);
		const t0 = await vm.now();
		await vm.advance(1);
		expect(await vm.now()).toBeCloseTo(t0 + 1, 9);
		expect(await vm.run(`return _G.bg[1], _G.bg[2]`)).toEqual(["got bg", 0]);
	});

	it("keeps a result delivered before the thread awaits it", async () => {
		expect(
			await vm.run(`
				local fast = _G.hostStart("fast", 0, "resolve")
				local slow = _G.hostStart("slow", 30, "resolve")
				local ok2, v2 = _G.hostAwait(slow) -- "fast" is delivered meanwhile, with nobody waiting for it yet
				local ok1, v1 = _G.hostAwait(fast)
				return ok1, v1, ok2, v2`),
		).toEqual([true, "got fast", true, "got slow"]);
	});

	it("fails clearly when a thread awaits I/O that was never started", async () => {
		const other = await RobloxVm.create({ role: "server", services: false, plugins: [plugin] });
		try {
			await expect(other.run(`return _G.hostAwait(987654)`)).rejects.toThrow(/awaits host I\/O that was never started/);
		} finally {
			other.destroy();
		}
	});
});
