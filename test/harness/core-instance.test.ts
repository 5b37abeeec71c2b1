// The emulated Instance tree against Roblox's documented behaviour (reference/engine/classes/Instance,
// scripting/events/deferred). Each snippet runs in a core-only VM (no service chunks) on the virtual clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RobloxVm, type VmOptions } from "./vm.js";

const vms: RobloxVm[] = [];
async function newVm(options: Partial<VmOptions> = {}): Promise<RobloxVm> {
	const vm = await RobloxVm.create({ role: "server", services: false, ...options });
	vms.push(vm);
	return vm;
}
afterAll(() => {
	for (const vm of vms) vm.destroy();
});

/** Runs a chunk and returns the message of the error it raises (without the "chunk:line: " prefix). */
async function errorOf(vm: RobloxVm, source: string): Promise<string> {
	const [ok, message] = await vm.run<[boolean, string]>(
		`local ok, err = pcall(function() ${source} end) return ok, tostring(err)`,
	);
	expect(ok, `expected an error from: ${source}`).toBe(false);
	return message.replace(/^[^:]*:\d+: /, "");
}

describe("Instance basics", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await newVm();
	});

	it("has typeof Instance and tostring giving the Name", async () => {
		expect(
			await vm.run(`
				local f = Instance.new("Folder")
				local before = tostring(f)
				f.Name = "Stuff"
				return typeof(f), before, tostring(f), type(f), f.ClassName`),
		).toEqual(["Instance", "Folder", "Stuff", "userdata", "Folder"]);
	});

	it("indexes properties, then methods and events, then children", async () => {
		const [name, method, event, child] = await vm.run<[string, string, string, string]>(`
			local f = Instance.new("Folder")
			f.Name = "Root"
			for _, n in { "Name", "GetChildren", "ChildAdded", "Kid" } do
				local c = Instance.new("Folder")
				c.Name = n
				c.Parent = f
			end
			return typeof(f.Name), type(f.GetChildren), typeof(f.ChildAdded), typeof(f.Kid) .. ":" .. f.Kid.Name`);
		expect([name, method, event, child]).toEqual(["string", "function", "RBXScriptSignal", "Instance:Kid"]);
	});

	it('errors with `X is not a valid member of Class "Full.Name"`', async () => {
		const message = await errorOf(
			vm,
			`local a = Instance.new("Folder", workspace) a.Name = "A"
			 local b = Instance.new("Model", a) b.Name = "B"
			 return b.Missing`,
		);
		expect(message).toBe('Missing is not a valid member of Model "Workspace.A.B"');
		expect(await errorOf(vm, `Instance.new("Folder").Bogus = 1`)).toBe(
			'Bogus is not a valid member of Folder "Folder"',
		);
		expect(await errorOf(vm, `Instance.new("Folder").ClassName = "Model"`)).toBe(
			"Unable to assign property ClassName. Property is read only",
		);
		expect(await errorOf(vm, `Instance.new("Folder").Name = {}`)).toMatch(
			/Unable to assign property Name\. string expected, got table/,
		);
	});

	it("coerces numbers assigned to string properties", async () => {
		expect(await vm.run(`local f = Instance.new("Folder") f.Name = 12 return f.Name`)).toEqual(["12"]);
	});

	it("creates only creatable classes with Instance.new", async () => {
		expect(
			await vm.run(`local f = Instance.new("Folder", workspace) return f.Parent == workspace, f.ClassName`),
		).toEqual([true, "Folder"]);
		for (const cls of ["Workspace", "DataModel", "Instance", "LuaSourceContainer", "NoSuchClass"]) {
			expect(await errorOf(vm, `Instance.new("${cls}")`)).toBe(`Unable to create an Instance of type "${cls}"`);
		}
	});

	it("errors when a method is called with '.' instead of ':'", async () => {
		expect(await errorOf(vm, `Instance.new("Folder").FindFirstChild("x")`)).toBe(
			"Expected ':' not '.' calling member function FindFirstChild",
		);
		expect(await errorOf(vm, `game.GetService("Workspace")`)).toBe(
			"Expected ':' not '.' calling member function GetService",
		);
		expect(await errorOf(vm, `Instance.new("Folder").ChildAdded.Connect(function() end)`)).toBe(
			"Expected ':' not '.' calling member function Connect",
		);
	});

	it("walks the class chain in IsA (Script → BaseScript → LuaSourceContainer → Instance)", async () => {
		expect(
			await vm.run(`
				local s = Instance.new("Script")
				local l = Instance.new("LocalScript")
				local m = Instance.new("ModuleScript")
				return s:IsA("Script"), s:IsA("BaseScript"), s:IsA("LuaSourceContainer"), s:IsA("Instance"),
					s:IsA("ModuleScript"), l:IsA("Script"), m:IsA("LuaSourceContainer"), m:IsA("BaseScript"),
					Instance.new("StringValue"):IsA("ValueBase")`),
		).toEqual([true, true, true, true, false, true, true, false, true]);
	});

	it("gives GetFullName without the DataModel, and the whole chain outside it", async () => {
		expect(
			await vm.run(`
				local a = Instance.new("Folder") a.Name = "A"
				local b = Instance.new("Folder") b.Name = "B" b.Parent = a
				local before = b:GetFullName()
				a.Parent = game:GetService("ReplicatedStorage")
				return before, b:GetFullName(), workspace:GetFullName()`),
		).toEqual(["A.B", "ReplicatedStorage.A.B", "Workspace"]);
	});

	it("finds children, descendants and ancestors", async () => {
		const r = await vm.run(`
			local root = Instance.new("Folder") root.Name = "Root"
			local function make(class, name, parent) local i = Instance.new(class) i.Name = name i.Parent = parent return i end
			local a = make("Folder", "A", root)
			local a1 = make("Model", "A1", a)
			local deep = make("Script", "Deep", a1)
			local b = make("Configuration", "B", root)
			local b1 = make("StringValue", "B1", b)
			local names = function(list) local out = {} for i, x in list do out[i] = x.Name end return table.concat(out, ",") end
			return
				root:FindFirstChild("Deep") == nil, root:FindFirstChild("Deep", true) == deep,
				root:FindFirstChildOfClass("Configuration") == b, root:FindFirstChildOfClass("Instance") == nil,
				root:FindFirstChildWhichIsA("Instance") == a, root:FindFirstChildWhichIsA("BaseScript") == nil,
				root:FindFirstChildWhichIsA("BaseScript", true) == deep,
				deep:FindFirstAncestor("A") == a, deep:FindFirstAncestor("Nope") == nil,
				deep:FindFirstAncestorOfClass("Folder") == a, deep:FindFirstAncestorWhichIsA("Instance") == a1,
				names(root:GetChildren()), names(root:GetDescendants()),
				deep:IsDescendantOf(root), root:IsAncestorOf(deep), root:IsDescendantOf(deep)`);
		expect(r).toEqual([
			true,
			true,
			true,
			true,
			true,
			true,
			true,
			true,
			true,
			true,
			true,
			"A,B",
			"A,A1,Deep,B,B1",
			true,
			true,
			false,
		]);
	});

	it("orders GetChildren by when Parent was set", async () => {
		expect(
			await vm.run(`
				local root = Instance.new("Folder")
				local x = Instance.new("Folder") x.Name = "X"
				local y = Instance.new("Folder") y.Name = "Y"
				y.Parent = root x.Parent = root
				y.Parent = nil y.Parent = root
				local out = {} for _, c in root:GetChildren() do table.insert(out, c.Name) end
				return table.concat(out, ",")`),
		).toEqual(["X,Y"]);
	});

	it("rejects circular parenting", async () => {
		expect(
			await errorOf(
				vm,
				`local a = Instance.new("Folder", workspace) a.Name = "A"
				 local b = Instance.new("Folder", a) b.Name = "B"
				 a.Parent = b`,
			),
		).toBe("Attempt to set parent of Workspace.A to Workspace.A.B would result in circular reference");
		expect(await errorOf(vm, `local a = Instance.new("Folder") a.Parent = a`)).toBe(
			"Attempt to set Folder as its own parent",
		);
	});

	it("clones Archivable descendants, attributes and internal references", async () => {
		const r = await vm.run(`
			local root = Instance.new("Folder") root.Name = "Root" root.Parent = workspace
			root:SetAttribute("Level", 3)
			local keep = Instance.new("ObjectValue") keep.Name = "Keep" keep.Parent = root
			local skip = Instance.new("Folder") skip.Name = "Skip" skip.Archivable = false skip.Parent = root
			local target = Instance.new("Folder") target.Name = "Target" target.Parent = root
			keep.Value = target
			local outside = Instance.new("ObjectValue") outside.Name = "Outside" outside.Parent = root
			outside.Value = workspace
			local copy = root:Clone()
			return copy ~= root, copy.Parent == nil, copy.Name, copy:GetAttribute("Level"),
				copy:FindFirstChild("Skip") == nil, copy.Keep.Value == copy.Target, copy.Outside.Value == workspace,
				skip:Clone() == nil, #root:GetChildren(), #copy:GetChildren()`);
		expect(r).toEqual([true, true, "Root", 3, true, true, true, true, 4, 3]);
	});
});

describe("Instance events (Immediate signal behaviour)", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await newVm({ signalBehavior: "Immediate" });
	});

	it("fires the reparenting events in order, DescendantRemoving before the change", async () => {
		const [log] = await vm.run<[string]>(`
			local log = {}
			local function add(s) table.insert(log, s) end
			local oldRoot = Instance.new("Folder") oldRoot.Name = "Old"
			local newRoot = Instance.new("Folder") newRoot.Name = "New"
			local item = Instance.new("Folder") item.Name = "Item" item.Parent = oldRoot
			local leaf = Instance.new("Folder") leaf.Name = "Leaf" leaf.Parent = item
			oldRoot.DescendantRemoving:Connect(function(d) add("DescendantRemoving:" .. d.Name .. ":parent=" .. tostring(item.Parent)) end)
			oldRoot.ChildRemoved:Connect(function(c) add("ChildRemoved:" .. c.Name) end)
			newRoot.ChildAdded:Connect(function(c) add("ChildAdded:" .. c.Name) end)
			newRoot.DescendantAdded:Connect(function(d) add("DescendantAdded:" .. d.Name) end)
			item.AncestryChanged:Connect(function(c, p) add("AncestryChanged(item):" .. c.Name .. ":" .. tostring(p)) end)
			leaf.AncestryChanged:Connect(function(c, p) add("AncestryChanged(leaf):" .. c.Name .. ":" .. tostring(p)) end)
			item.Changed:Connect(function(prop) add("Changed:" .. prop) end)
			item:GetPropertyChangedSignal("Parent"):Connect(function() add("ParentChanged") end)
			item.Parent = newRoot
			return table.concat(log, "|")`);
		expect(log.split("|")).toEqual([
			"DescendantRemoving:Item:parent=Old",
			"DescendantRemoving:Leaf:parent=Old",
			"ChildRemoved:Item",
			"ChildAdded:Item",
			"DescendantAdded:Item",
			"DescendantAdded:Leaf",
			"AncestryChanged(item):Item:New",
			"AncestryChanged(leaf):Item:New",
			"Changed:Parent",
			"ParentChanged",
		]);
	});

	it("fires Changed and GetPropertyChangedSignal for Name, and ValueBase.Changed with the value", async () => {
		const r = await vm.run(`
			local f = Instance.new("Folder")
			local changed, nameChanged = {}, 0
			f.Changed:Connect(function(p) table.insert(changed, p) end)
			f:GetPropertyChangedSignal("Name"):Connect(function(...) nameChanged += 1 assert(select("#", ...) == 0) end)
			f.Name = "A" f.Name = "A" f.Name = "B"
			local v = Instance.new("StringValue")
			local values = {}
			v.Changed:Connect(function(value) table.insert(values, value) end)
			v.Value = "x" v.Name = "renamed" v.Value = "y"
			local ok, err = pcall(function() return f:GetPropertyChangedSignal("Nope") end)
			return table.concat(changed, ","), nameChanged, table.concat(values, ","), ok, err`);
		expect(r.slice(0, 4)).toEqual(["Name,Name", 2, "x,y", false]);
		expect(r[4]).toMatch(/Nope is not a valid property name\./);
	});

	it("destroys: Destroying first, parent locked, connections cut, descendants destroyed", async () => {
		const [log, message, leafParent, connected, leafLocked] = await vm.run<[string, string, boolean, boolean, string]>(`
			local log = {}
			local root = Instance.new("Folder") root.Name = "Root" root.Parent = workspace
			local item = Instance.new("Folder") item.Name = "Item" item.Parent = root
			local leaf = Instance.new("Folder") leaf.Name = "Leaf" leaf.Parent = item
			item.Destroying:Connect(function() table.insert(log, "Destroying:item:parent=" .. tostring(item.Parent)) end)
			leaf.Destroying:Connect(function() table.insert(log, "Destroying:leaf") end)
			root.ChildRemoved:Connect(function(c) table.insert(log, "ChildRemoved:" .. c.Name) end)
			local conn = item.ChildAdded:Connect(function() table.insert(log, "should not fire") end)
			item:Destroy()
			item:Destroy() -- a second Destroy does nothing
			local ok, err = pcall(function() item.Parent = workspace end)
			local okLeaf, errLeaf = pcall(function() leaf.Parent = workspace end)
			return table.concat(log, "|"), tostring(err), leaf.Parent == nil, conn.Connected, tostring(errLeaf)`);
		expect(log.split("|")).toEqual(["Destroying:item:parent=Root", "ChildRemoved:Item", "Destroying:leaf"]);
		expect(message).toMatch(/The Parent property of Item is locked, current parent: NULL, new parent Workspace$/);
		expect(leafParent).toBe(true);
		expect(connected).toBe(false);
		expect(leafLocked).toMatch(/The Parent property of Leaf is locked/);
	});

	it("refuses to reparent from a DescendantRemoving handler", async () => {
		const [out] = await vm.run<[string]>(`
			local root = Instance.new("Folder") root.Name = "Root"
			local item = Instance.new("Folder") item.Name = "Item" item.Parent = root
			root.DescendantRemoving:Connect(function(d) d.Parent = workspace end)
			item.Parent = nil
			return tostring(item.Parent)`);
		expect(out).toBe("nil");
		expect(vm.lines("error").join("\n")).toMatch(
			/Something unexpectedly tried to set the parent of Item to Workspace while trying to set the parent of Item\. Current parent is Root\./,
		);
	});
});

describe("Instance events (Deferred signal behaviour)", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await newVm({ signalBehavior: "Deferred" });
	});

	it("runs handlers at the next resumption point, after the change", async () => {
		expect(
			await vm.run(`
				local f = Instance.new("Folder")
				local seen = {}
				f.ChildAdded:Connect(function(c) table.insert(seen, c.Name) end)
				Instance.new("Folder", f).Name = "Kid"
				local before = #seen
				task.wait()
				return before, seen[1]`),
		).toEqual([0, "Kid"]);
	});

	it("drops pending invocations on Disconnect() but still runs them after Destroy()", async () => {
		expect(
			await vm.run(`
				local a = Instance.new("Folder")
				local b = Instance.new("Folder")
				local ranA, ranB, destroying = 0, 0, 0
				local ca = a.ChildAdded:Connect(function() ranA += 1 end)
				b.ChildAdded:Connect(function() ranB += 1 end)
				b.Destroying:Connect(function() destroying += 1 end)
				Instance.new("Folder", a)
				Instance.new("Folder", b)
				ca:Disconnect()
				b:Destroy()
				task.wait()
				return ranA, ranB, destroying`),
		).toEqual([0, 1, 1]);
	});
});

describe("WaitForChild", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await newVm();
	});

	it("returns an existing child without yielding", async () => {
		expect(
			await vm.run(`
				local f = Instance.new("Folder") Instance.new("Folder", f).Name = "Here"
				local t = os.clock()
				local c = f:WaitForChild("Here")
				return c.Name, os.clock() - t`),
		).toEqual(["Here", 0]);
	});

	it("waits for a child that appears later", async () => {
		const [name, waited] = await vm.run<[string, number]>(`
			local f = Instance.new("Folder")
			task.delay(2, function() Instance.new("Folder", f).Name = "Later" end)
			local t = os.clock()
			local c = f:WaitForChild("Later")
			return c.Name, os.clock() - t`);
		expect(name).toBe("Later");
		expect(waited).toBeGreaterThanOrEqual(2);
		expect(waited).toBeLessThan(2.1);
	});

	it("returns nil after the timeout, without the infinite-yield warning", async () => {
		const before = vm.lines("warn").length;
		const [isNil, waited] = await vm.run<[boolean, number]>(`
			local f = Instance.new("Folder")
			local t = os.clock()
			local c = f:WaitForChild("Never", 7)
			return c == nil, os.clock() - t`);
		expect(isNil).toBe(true);
		expect(waited).toBeGreaterThanOrEqual(7);
		expect(waited).toBeLessThan(7.1);
		expect(vm.lines("warn").slice(before)).toEqual([]);
	});

	it("warns about a possible infinite yield after 5 s", async () => {
		const before = vm.lines("warn").length;
		await vm.run(`
			local f = Instance.new("Folder", game:GetService("ReplicatedStorage")) f.Name = "Box"
			task.spawn(function() f:WaitForChild("Missing") end)
			task.wait(4.9)
			assert(#f:GetChildren() == 0)`);
		expect(vm.lines("warn").slice(before)).toEqual([]);
		await vm.advance(0.2);
		expect(vm.lines("warn").slice(before)).toEqual([
			`Infinite yield possible on 'ReplicatedStorage.Box:WaitForChild("Missing")'`,
		]);
	});
});

describe("Attributes", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await newVm({ signalBehavior: "Immediate" });
	});

	it("stores supported types, removes on nil, lists with GetAttributes", async () => {
		expect(
			await vm.run(`
				local f = Instance.new("Folder")
				f:SetAttribute("S", "text") f:SetAttribute("N", 1.5) f:SetAttribute("B", false)
				f:SetAttribute("E", Enum.HttpCompression.Gzip)
				f:SetAttribute("S", nil)
				local keys = {} for k in f:GetAttributes() do table.insert(keys, k) end table.sort(keys)
				return f:GetAttribute("S") == nil, f:GetAttribute("N"), f:GetAttribute("B"), f:GetAttribute("E") == Enum.HttpCompression.Gzip,
					table.concat(keys, ","), f:GetAttribute("Unset") == nil`),
		).toEqual([true, 1.5, false, true, "B,E,N", true]);
	});

	it("rejects unsupported types and invalid names", async () => {
		expect(await errorOf(vm, `Instance.new("Folder"):SetAttribute("T", {})`)).toMatch(
			/table is not a supported attribute type/,
		);
		expect(await errorOf(vm, `Instance.new("Folder"):SetAttribute("F", print)`)).toMatch(
			/function is not a supported attribute type/,
		);
		expect(await errorOf(vm, `Instance.new("Folder"):SetAttribute("I", workspace)`)).toMatch(
			/Instance is not a supported attribute type/,
		);
		expect(await errorOf(vm, `Instance.new("Folder"):SetAttribute("RBXThing", 1)`)).toMatch(/reserved/);
		expect(await errorOf(vm, `Instance.new("Folder"):SetAttribute("has space", 1)`)).toMatch(/invalid characters/);
		expect(await errorOf(vm, `Instance.new("Folder"):SetAttribute(string.rep("a", 101), 1)`)).toMatch(/too long/);
		expect(
			await vm.run(
				`local f = Instance.new("Folder") f:SetAttribute(string.rep("a", 100), 1) return f:GetAttribute(string.rep("a", 100))`,
			),
		).toEqual([1]);
	});

	it("fires AttributeChanged and GetAttributeChangedSignal once per change (including removal)", async () => {
		expect(
			await vm.run(`
				local f = Instance.new("Folder")
				local all, level = {}, 0
				f.AttributeChanged:Connect(function(name) table.insert(all, name) end)
				f:GetAttributeChangedSignal("Level"):Connect(function() level += 1 end)
				f:SetAttribute("Level", 1) f:SetAttribute("Level", 1) f:SetAttribute("Other", true) f:SetAttribute("Level", nil)
				return table.concat(all, ","), level, f:GetAttributeChangedSignal("Level") == f:GetAttributeChangedSignal("Level")`),
		).toEqual(["Level,Other,Level", 2, true]);
	});
});
