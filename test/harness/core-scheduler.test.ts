// The task scheduler, time functions and signals on the virtual clock, against Roblox's documented behaviour
// (reference/engine/libraries/task, globals/RobloxGlobals, datatypes/DateTime, datatypes/RBXScriptSignal,
// classes/RunService, scripting/events/deferred).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RobloxVm, type VmOptions } from "./vm.js";

const FRAME = 1 / 60;
const vms: RobloxVm[] = [];
async function newVm(options: Partial<VmOptions> = {}): Promise<RobloxVm> {
	const vm = await RobloxVm.create({ role: "server", services: false, ...options });
	vms.push(vm);
	return vm;
}
afterAll(() => {
	for (const vm of vms) vm.destroy();
});

describe("task library", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await newVm();
	});

	it("task.spawn runs the thread immediately; task.defer after the current thread yields, in order", async () => {
		const [log, sameTime] = await vm.run<[string, boolean]>(`
			local log = {}
			local t = os.clock()
			task.defer(function() table.insert(log, "defer1")
				task.defer(function() table.insert(log, "nested") end)
			end)
			task.defer(function() table.insert(log, "defer2") end)
			task.spawn(function(x) table.insert(log, "spawn:" .. x) end, "arg")
			table.insert(log, "main")
			task.wait()
			return table.concat(log, ","), os.clock() - t == ${FRAME}`);
		expect(log).toBe("spawn:arg,main,defer1,defer2,nested");
		expect(sameTime).toBe(true);
	});

	it("resumes nested defers at the same resumption point (no time passes)", async () => {
		expect(
			await vm.run(`
				local times = {}
				local function chain(n) if n > 0 then table.insert(times, os.clock()) task.defer(chain, n - 1) end end
				local start = os.clock()
				task.defer(chain, 5)
				task.wait()
				return #times, times[1] == start, times[5] == start`),
		).toEqual([5, true, true]);
	});

	it("task.wait resumes on a frame at or after the requested time and returns the elapsed time", async () => {
		const [results] = await vm.run<[number[][]]>(`
			local out = {}
			for _, d in { 0, ${FRAME}, 0.05, 0.051, 0.1, 1, 2.3456 } do
				local t = os.clock()
				local elapsed = task.wait(d)
				table.insert(out, { d, elapsed, os.clock() - t, (os.clock() * 60) % 1 })
			end
			return out`);
		for (const [requested, elapsed, measured, frac] of results) {
			expect(elapsed).toBeCloseTo(measured!, 12);
			expect(elapsed).toBeGreaterThanOrEqual(Math.max(requested!, FRAME) - 1e-9); // never early, at least a frame
			expect(elapsed).toBeLessThan(Math.max(requested!, FRAME) + FRAME + 1e-9); // on the first frame after
			expect(Math.min(frac!, 1 - frac!)).toBeLessThan(1e-6); // frame aligned
		}
		expect(results.map((r) => Math.round(r[1]! * 60))).toEqual([1, 1, 3, 4, 6, 60, 141]);
	});

	it("task.delay passes its arguments and resumes at the due frame", async () => {
		expect(
			await vm.run(`
				local t = os.clock()
				local got
				task.delay(0.5, function(a, b) got = { a, b, os.clock() - t } end, "x", 2)
				task.wait(1)
				return got[1], got[2], math.abs(got[3] - 0.5) < 1e-9`),
		).toEqual(["x", 2, true]);
	});

	it("task.cancel stops delayed, deferred and waiting threads", async () => {
		expect(
			await vm.run(`
				local ran = {}
				local d = task.delay(0.1, function() ran.delayed = true end)
				local f = task.defer(function() ran.deferred = true end)
				local w = task.spawn(function() task.wait(0.2) ran.waiting = true end)
				task.cancel(d) task.cancel(f) task.cancel(w)
				task.wait(1)
				return ran.delayed == nil, ran.deferred == nil, ran.waiting == nil, coroutine.status(w)`),
		).toEqual([true, true, true, "dead"]);
	});

	it("does not let a stale timer resume a thread that was woken early", async () => {
		expect(
			await vm.run(`
				local log = {}
				local th = task.spawn(function()
					task.wait(1)
					table.insert(log, "woke " .. os.clock())
					coroutine.yield()
					table.insert(log, "second resume")
				end)
				local t0 = os.clock()
				task.wait(0.1)
				task.spawn(th)
				task.wait(2)
				return #log, log[1] == "woke " .. (t0 + 0.1)`),
		).toEqual([1, true]);
	});

	it("reports errors in threads to output with a traceback and keeps running others", async () => {
		const before = vm.lines("error").length;
		expect(
			await vm.run(`
				local done = {}
				task.spawn(function() error("first failure") end)
				task.delay(0.1, function() error("delayed failure") end)
				task.defer(function() done.defer = true end)
				task.delay(0.2, function() done.delay = true end)
				task.wait(0.5)
				return done.defer, done.delay`),
		).toEqual([true, true]);
		const errors = vm.lines("error").slice(before);
		expect(errors).toHaveLength(2);
		expect(errors[0]).toMatch(/^harness\.run:3: first failure\n/);
		expect(errors[0]).toMatch(/harness\.run:3/);
		expect(errors[1]).toMatch(/delayed failure/);
	});

	it("errors when task.spawn is given a dead thread or a non-function", async () => {
		const [dead, bad] = await vm.run<[string, string]>(`
			local co = coroutine.create(function() end) coroutine.resume(co)
			local _, e1 = pcall(task.spawn, co)
			local _, e2 = pcall(task.spawn, 5)
			return e1, e2`);
		expect(dead).toMatch(/cannot resume dead coroutine/);
		expect(bad).toMatch(/function or thread expected/);
	});
});

describe("legacy globals and clocks", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await newVm({ epochSeconds: 1_800_000_000 });
	});

	it("wait / delay / spawn have a 29 ms floor and pass (elapsed, time())", async () => {
		const [wElapsed, wTime, nowAfter, spawnedImmediately, spawnArgs, delayArgs] = await vm.run<
			[number, number, number, boolean, number[], number[]]
		>(`
			local t = time()
			local elapsed, at = wait()
			local now = time()
			local spawnArgs, delayArgs
			spawn(function(a, b) spawnArgs = { a, b } end)
			local spawnedImmediately = spawnArgs ~= nil
			delay(0.25, function(a, b) delayArgs = { a, b } end)
			wait(0.5)
			return elapsed, at, now, spawnedImmediately, spawnArgs, delayArgs`);
		expect(wElapsed).toBeGreaterThanOrEqual(0.029);
		expect(wElapsed).toBeLessThan(0.029 + FRAME + 1e-9);
		expect(wTime).toBe(nowAfter);
		expect(spawnedImmediately).toBe(false);
		expect(spawnArgs[0]).toBeGreaterThanOrEqual(0.029);
		expect(delayArgs[0]).toBeGreaterThanOrEqual(0.25);
		expect(delayArgs[0]).toBeLessThan(0.25 + FRAME + 1e-9);
	});

	it("keeps os.clock, time, tick, os.time and DateTime.now consistent with advance()", async () => {
		const snap = `return os.clock(), time(), tick(), os.time(), DateTime.now().UnixTimestampMillis`;
		const [c1, t1, k1, o1, d1] = await vm.run<number[]>(snap);
		expect(k1! - t1!).toBeCloseTo(1_800_000_000, 6);
		expect(d1).toBe(Math.floor((1_800_000_000 + c1!) * 1000));
		await vm.advance(10);
		const [c2, t2, k2, o2, d2] = await vm.run<number[]>(snap);
		expect(c2! - c1!).toBeCloseTo(10, 9);
		expect(t2! - t1!).toBeCloseTo(10, 9);
		expect(k2! - k1!).toBeCloseTo(10, 9);
		expect(o2! - o1!).toBe(10);
		expect(d2! - d1!).toBe(10_000);
	});

	it("moves in whole frames but keeps fractions of advance() across calls", async () => {
		const start = await vm.now();
		for (let i = 0; i < 10; i++) await vm.advance(0.01);
		expect((await vm.now()) - start).toBeCloseTo(0.1, 9);
	});
});

describe("DateTime", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await newVm();
	});

	it("round-trips ISO dates, with and without milliseconds", async () => {
		const dates = [
			"2020-01-02T10:30:45Z",
			"1970-01-01T00:00:00Z",
			"2024-02-29T23:59:59.123Z",
			"1999-12-31T00:00:00.500Z",
			"1600-03-01T12:00:00Z",
		];
		const results = await vm.run<string[]>(`
			local out = {}
			for _, s in { ${dates.map((d) => JSON.stringify(d)).join(", ")} } do
				table.insert(out, DateTime.fromIsoDate(s):ToIsoDate())
			end
			return table.unpack(out)`);
		expect(results).toEqual(dates);
		const millis = await vm.run<number[]>(
			`local out = {} for _, s in { ${dates.map((d) => JSON.stringify(d)).join(", ")} } do table.insert(out, DateTime.fromIsoDate(s).UnixTimestampMillis) end return table.unpack(out)`,
		);
		expect(millis).toEqual(dates.map((d) => Date.parse(d)));
	});

	it("returns nil for strings it cannot parse", async () => {
		expect(
			await vm.run(`return DateTime.fromIsoDate("not a date") == nil, DateTime.fromIsoDate("2021-02-30T00:00:00Z") == nil,
				DateTime.fromIsoDate("2021-13-01T00:00:00Z") == nil, DateTime.fromIsoDate("2021-01-01T24:00:00Z") == nil`),
		).toEqual([true, true, true, true]);
	});

	it("compares by UnixTimestampMillis and converts to a string of it", async () => {
		expect(
			await vm.run(`
				local a = DateTime.fromUnixTimestampMillis(1500)
				local b = DateTime.fromUnixTimestamp(1.5)
				local c = DateTime.fromUnixTimestampMillis(2000)
				return a == b, a ~= c, a < c, c <= c, tostring(a), typeof(a), a.UnixTimestamp`),
		).toEqual([true, true, true, true, "1500", "DateTime", 1]);
	});

	it("builds from and splits into universal time components", async () => {
		expect(
			await vm.run(`
				local dt = DateTime.fromUniversalTime(2021, 3, 4, 5, 90, 7, 8)
				local u = dt:ToUniversalTime()
				local ok = pcall(DateTime.fromUniversalTime, 2021, 2, 29)
				return dt:ToIsoDate(), u.Year, u.Month, u.Day, u.Hour, u.Minute, u.Second, u.Millisecond, ok,
					dt:FormatUniversalTime("YYYY-MM-DD HH:mm:ss.SSS dddd", "en-us"), dt:FormatUniversalTime("LL", "en-us")`),
		).toEqual([
			"2021-03-04T06:30:07.008Z",
			2021,
			3,
			4,
			6,
			30,
			7,
			8,
			false,
			"2021-03-04 06:30:07.008 Thursday",
			"March 4, 2021",
		]);
	});
});

describe("signals", () => {
	it("Connect / Once / Wait / Disconnect / Connected on a BindableEvent (Immediate)", async () => {
		const vm = await newVm({ signalBehavior: "Immediate" });
		expect(
			await vm.run(`
				local ev = Instance.new("BindableEvent")
				local all, once = {}, {}
				local c = ev.Event:Connect(function(x) table.insert(all, x) end)
				local o = ev.Event:Once(function(x) table.insert(once, x) end)
				local waited
				task.spawn(function() waited = { ev.Event:Wait() } end)
				ev:Fire(1, "extra")
				local connectedBefore = c.Connected
				c:Disconnect()
				ev:Fire(2)
				return table.concat(all, ","), table.concat(once, ","), waited[1], waited[2], connectedBefore, c.Connected, o.Connected,
					typeof(c), tostring(ev.Event)`),
		).toEqual(["1", "1", 1, "extra", true, false, false, "RBXScriptConnection", "Signal Event"]);
	});

	it("defers handlers in Deferred mode and runs them inline in Immediate mode", async () => {
		const src = `
			local ev = Instance.new("BindableEvent")
			local log = {}
			ev.Event:Connect(function() table.insert(log, "handler") end)
			ev:Fire()
			table.insert(log, "after fire")
			task.wait()
			return table.concat(log, ",")`;
		expect(await (await newVm({ signalBehavior: "Deferred" })).run(src)).toEqual(["after fire,handler"]);
		expect(await (await newVm({ signalBehavior: "Immediate" })).run(src)).toEqual(["handler,after fire"]);
	});

	it("stops deferred event re-entrancy at a depth of 10", async () => {
		const vm = await newVm({ signalBehavior: "Deferred" });
		const [depth] = await vm.run<[number]>(`
			local ev = Instance.new("BindableEvent")
			local depth = 0
			ev.Event:Connect(function() depth += 1 ev:Fire() end)
			ev:Fire()
			task.wait(0.1)
			return depth`);
		expect(depth).toBe(10);
		expect(vm.lines("error").some((l) => l.startsWith("Maximum event re-entrancy depth exceeded"))).toBe(true);
	});
});

describe("RunService frames", () => {
	it("fires Heartbeat every frame with dt, Stepped with (time, dt), and Heartbeat:Wait() works", async () => {
		const vm = await newVm();
		const [count, dtOk, waitDt, steppedOk] = await vm.run<[number, boolean, number, boolean]>(`
			local RunService = game:GetService("RunService")
			local count, dtOk, steppedOk = 0, true, true
			local c = RunService.Heartbeat:Connect(function(dt) count += 1 if dt ~= 1/60 then dtOk = false end end)
			local s = RunService.Stepped:Connect(function(t, dt) if t ~= time() or dt ~= 1/60 then steppedOk = false end end)
			task.wait(1)
			c:Disconnect() s:Disconnect()
			local waitDt = RunService.Heartbeat:Wait()
			return count, dtOk, waitDt, steppedOk`);
		expect(count).toBeGreaterThanOrEqual(59);
		expect(count).toBeLessThanOrEqual(61);
		expect(dtOk).toBe(true);
		expect(waitDt).toBe(FRAME);
		expect(steppedOk).toBe(true);
	});

	it("runs a frame in Roblox's order: PreAnimation, Stepped, PreSimulation, PostSimulation, waiting threads, Heartbeat", async () => {
		const vm = await newVm({ signalBehavior: "Immediate" });
		const [log] = await vm.run<[string]>(`
			local RunService = game:GetService("RunService")
			local log, conns = {}, {}
			for _, name in { "Heartbeat", "PostSimulation", "PreSimulation", "Stepped", "PreAnimation" } do
				table.insert(conns, RunService[name]:Connect(function() table.insert(log, name) end))
			end
			task.wait()
			table.insert(log, "resumed")
			task.wait()
			for _, c in conns do c:Disconnect() end
			return table.concat(log, ",")`);
		expect(log).toBe(
			"PreAnimation,Stepped,PreSimulation,PostSimulation,resumed,Heartbeat,PreAnimation,Stepped,PreSimulation,PostSimulation",
		);
	});

	it("skips idle frames: 10 virtual minutes with a 5 s timer and no frame listeners take ~120 steps", async () => {
		const vm = await newVm();
		await vm.run(`_G.ticks = 0 task.spawn(function() while true do task.wait(5) _G.ticks += 1 end end)`);
		const before = (await vm.stats()).frames;
		await vm.advance(600);
		const frames = (await vm.stats()).frames - before;
		expect(await vm.run(`return _G.ticks`)).toEqual([120]);
		expect(frames).toBeGreaterThanOrEqual(120);
		expect(frames).toBeLessThanOrEqual(121);
	});

	it("simulates every frame while something listens to Heartbeat", async () => {
		const vm = await newVm();
		await vm.run(`game:GetService("RunService").Heartbeat:Connect(function() end)`);
		const before = (await vm.stats()).frames;
		await vm.advance(10);
		expect((await vm.stats()).frames - before).toBe(600);
	});

	it("run() waits for a long timer in few steps and stops at the frame the thread finishes", async () => {
		const vm = await newVm();
		const before = (await vm.stats()).frames;
		const [elapsed] = await vm.run<[number]>(`return task.wait(3000)`, { maxSeconds: 4000 });
		expect(elapsed).toBe(3000);
		expect(await vm.now()).toBe(3000);
		expect((await vm.stats()).frames - before).toBeLessThanOrEqual(2);
	});

	it("run() fails after maxSeconds of virtual time", async () => {
		const vm = await newVm();
		await expect(vm.run(`task.wait(100)`, { maxSeconds: 5 })).rejects.toThrow(
			/did not finish within 5 virtual seconds/,
		);
		expect(await vm.now()).toBe(5);
	});
});
