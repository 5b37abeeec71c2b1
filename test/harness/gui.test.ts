// GUI emulation (lua/services/gui-datatypes.luau, gui.luau, ui-input.luau) and the host's Screen (gui.ts): data types,
// layout numbers, what is on screen, clicks, taps and gamepad navigation on a player's PlayerGui.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Screen } from "./gui.js";
import { RobloxVm } from "./vm.js";
import { inst, place, World } from "./world.js";

// Luau prelude for the client: make(className, props, children), an empty PlayerGui, no selection, _G.log.
const PRELUDE = `
	local function make(className, props, children)
		local object = Instance.new(className)
		for k, v in props or {} do
			object[k] = v
		end
		for _, child in children or {} do
			child.Parent = object
		end
		return object
	end
	local function rect(object)
		local p, s = object.AbsolutePosition, object.AbsoluteSize
		return { p.X, p.Y, s.X, s.Y }
	end
	local Players = game:GetService("Players")
	local GuiService = game:GetService("GuiService")
	local UIS = game:GetService("UserInputService")
	local playerGui = Players.LocalPlayer.PlayerGui
	playerGui:ClearAllChildren()
	GuiService.SelectedObject = nil
	_G.log = {}
	for _, connection in _G.connections or {} do
		connection:Disconnect()
	end
	_G.connections = {}
	local function keep(connection)
		table.insert(_G.connections, connection)
	end
	local function log(entry)
		table.insert(_G.log, entry)
	end
`;

let world: World;
let screen: Screen;
const ID = 1;

async function client<T = unknown[]>(source: string): Promise<T> {
	return world.run<T>(ID, PRELUDE + source);
}
async function log(): Promise<string[]> {
	const [entries] = await world.run<[string[] | Record<string, never>]>(ID, `return _G.log`);
	return Array.isArray(entries) ? entries : [];
}

beforeAll(async () => {
	world = await World.create({ tree: place({}) });
	await world.addPlayer({ userId: ID, name: "ana" });
	screen = Screen.of(world, ID);
});
afterAll(async () => {
	await world.destroy();
});
beforeEach(async () => {
	await screen.setViewport();
});

describe("GUI data types", () => {
	it("build UDim2, UDim, Vector2, Color3 and Font values as Roblox documents them", async () => {
		const [values] = await client<[Record<string, unknown>]>(`
			local a = UDim2.new(0.5, 10, 1, -20)
			local b = UDim2.fromScale(0.25, 0.75)
			local c = UDim2.fromOffset(7, 9)
			local sum = a + c
			local v = Vector2.new(3, 4)
			local color = Color3.fromRGB(255, 128, 0)
			local okWrite, writeError = pcall(function() a.X = UDim.new() end)
			local okMember, memberError = pcall(function() return a.Z end)
			return {
				a = tostring(a), b = tostring(b), c = tostring(c), sum = tostring(sum), neg = tostring(-c),
				eq = UDim2.new(0, 7, 0, 9) == c, neq = a == b, width = tostring(a.Width), height = a.Height.Offset,
				udim2FromUDims = tostring(UDim2.new(UDim.new(1, 2), UDim.new(3, 4))), lerp = tostring(c:Lerp(UDim2.fromOffset(17, 19), 0.5)),
				typeofs = { typeof(a), typeof(a.X), typeof(v), typeof(color), typeof(Font.new("x")) },
				magnitude = v.Magnitude, scaled = tostring(v * 2 + Vector2.one), dot = v:Dot(Vector2.new(1, 1)),
				vecEq = Vector2.new(3, 4) == v, zero = tostring(Vector2.zero),
				hex = color:ToHex(), fromHex = tostring(Color3.fromHex("#FF8000") == Color3.fromRGB(255, 128, 0)),
				short = Color3.fromHex("f80"):ToHex(), r = color.R,
				writeError = tostring(writeError), memberError = tostring(memberError), okWrite = okWrite, okMember = okMember,
				font = tostring(Font.fromEnum(Enum.Font.GothamBold)), bold = Font.fromEnum(Enum.Font.GothamBold).Bold,
				builder = Font.fromName("BuilderSans", Enum.FontWeight.Bold).Family,
			}
		`);
		expect(values).toEqual({
			a: "{0.5, 10}, {1, -20}",
			b: "{0.25, 0}, {0.75, 0}",
			c: "{0, 7}, {0, 9}",
			sum: "{0.5, 17}, {1, -11}",
			neg: "{-0, -7}, {-0, -9}",
			eq: true,
			neq: false,
			width: "0.5, 10",
			height: -20,
			udim2FromUDims: "{1, 2}, {3, 4}",
			lerp: "{0, 12}, {0, 14}",
			typeofs: ["UDim2", "UDim", "Vector2", "Color3", "Font"],
			magnitude: 5,
			scaled: "7, 9",
			dot: 7,
			vecEq: true,
			zero: "0, 0",
			hex: "ff8000",
			fromHex: "true",
			short: "ff8800",
			r: 1,
			writeError: expect.stringMatching(/X cannot be assigned to/),
			memberError: expect.stringMatching(/Z is not a valid member of UDim2/),
			okWrite: false,
			okMember: false,
			font: "Font { Family = rbxasset://fonts/families/Gotham.json, Weight = Bold, Style = Normal }",
			bold: true,
			builder: "rbxasset://fonts/families/BuilderSans.json",
		});
	});

	it("type-check GuiObject properties with Roblox's messages and take enum names", async () => {
		const [errors, coerced] = await client<[string[], Record<string, unknown>]>(`
			local frame = Instance.new("Frame")
			local label = Instance.new("TextLabel")
			local layout = Instance.new("UIListLayout")
			local errors = {}
			for _, attempt in {
				function() frame.Size = 5 end,
				function() frame.BackgroundColor3 = "red" end,
				function() frame.Visible = "yes" end,
				function() frame.AbsoluteSize = Vector2.new(1, 1) end,
				function() layout.FillDirection = Enum.SortOrder.Name end,
				function() layout.FillDirection = "Diagonal" end,
				function() frame.NextSelectionDown = 3 end,
			} do
				local ok, e = pcall(attempt)
				table.insert(errors, ok and "no error" or tostring(e))
			end
			layout.FillDirection = "Horizontal"
			layout.SortOrder = 0
			label.Text = 42
			label.Font = Enum.Font.Arial
			return errors, {
				fill = layout.FillDirection.Name, sort = layout.SortOrder.Name, text = label.Text,
				face = label.FontFace.Family, font = label.Font.Name, defaultFill = Instance.new("UIListLayout").FillDirection.Name,
			}
		`);
		expect(errors).toEqual([
			expect.stringContaining("Unable to assign property Size. UDim2 expected, got number"),
			expect.stringContaining("Unable to assign property BackgroundColor3. Color3 expected, got string"),
			expect.stringContaining("Unable to assign property Visible. boolean expected, got string"),
			expect.stringContaining("Unable to assign property AbsoluteSize. Property is read only"),
			expect.stringContaining(
				"Unable to assign property FillDirection. Expected Enum.FillDirection, got Enum.SortOrder.Name",
			),
			expect.stringContaining("Unable to assign property FillDirection. Expected Enum.FillDirection, got string"),
			expect.stringContaining("Unable to assign property NextSelectionDown. Instance expected, got number"),
		]);
		expect(coerced).toEqual({
			fill: "Horizontal",
			sort: "Name",
			text: "42",
			face: "rbxasset://fonts/families/Arial.json",
			font: "Arial",
			defaultFill: "Vertical",
		});
	});
});

describe("GUI values between VMs", () => {
	it("replicate in instances and travel in remote events", async () => {
		await world.run(
			"server",
			`
			local sg = Instance.new("ScreenGui")
			sg.Name = "Shared"
			local label = Instance.new("TextLabel")
			label.Size = UDim2.new(0.5, 10, 0, 40)
			label.TextColor3 = Color3.fromRGB(10, 20, 30)
			label.FontFace = Font.fromEnum(Enum.Font.GothamBold)
			label.AnchorPoint = Vector2.new(0.5, 0)
			label.Parent = sg
			sg.Parent = game:GetService("ReplicatedStorage")
			local remote = Instance.new("RemoteEvent")
			remote.Name = "Values"
			remote.Parent = game:GetService("ReplicatedStorage")
			task.delay(0.2, function()
				remote:FireAllClients(UDim2.fromOffset(1, 2), Color3.new(1, 0, 0), Vector2.new(3, 4), UDim.new(0.5, 6))
			end)
		`,
		);
		const [seen] = await client<[Record<string, string>]>(`
			local rs = game:GetService("ReplicatedStorage")
			local label = rs:WaitForChild("Shared").TextLabel
			local got
			rs:WaitForChild("Values").OnClientEvent:Connect(function(...)
				local parts = {}
				for _, v in { ... } do
					table.insert(parts, typeof(v) .. " " .. tostring(v))
				end
				got = table.concat(parts, " | ")
			end)
			repeat task.wait() until got
			return {
				size = tostring(label.Size), color = label.TextColor3:ToHex(), font = label.Font.Name, face = label.FontFace.Family,
				anchor = tostring(label.AnchorPoint), remote = got,
			}
		`);
		expect(seen).toEqual({
			size: "{0.5, 10}, {0, 40}",
			color: "0a141e",
			font: "GothamBold",
			face: "rbxasset://fonts/families/Gotham.json",
			anchor: "0.5, 0",
			remote: "UDim2 {0, 1}, {0, 2} | Color3 1, 0, 0 | Vector2 3, 4 | UDim 0.5, 6",
		});
	});
});

describe("the screen", () => {
	it("has a viewport per platform on clients and none on the server", async () => {
		const sizes: Record<string, string> = {};
		const w = await World.create({ tree: place({}) });
		try {
			for (const [id, platform] of [
				[1, "Windows"],
				[2, "IOS"],
				[3, "PS5"],
			] as const) {
				await w.addPlayer({ userId: id, name: `p${id}`, platform });
				[sizes[platform]] = await w.run<[string]>(id, `return tostring(workspace.CurrentCamera.ViewportSize)`);
			}
			const [serverCamera] = await w.run<[boolean]>("server", `return workspace.CurrentCamera == nil`);
			expect(serverCamera).toBe(true);
			await Screen.of(w, 2).setViewport(1180, 820);
			[sizes.tablet] = await w.run<[string]>(2, `return tostring(workspace.CurrentCamera.ViewportSize)`);
		} finally {
			await w.destroy();
		}
		expect(sizes).toEqual({ Windows: "1920, 1080", IOS: "844, 390", PS5: "1920, 1080", tablet: "1180, 820" });
	});

	it("places a ScreenGui below the 58 px top bar unless it ignores the inset", async () => {
		const [normal, ignoring, insets, back, guiInset] = await client<[number[], number[], string, string, string]>(`
			local a = make("ScreenGui", { Parent = playerGui })
			local b = make("ScreenGui", { IgnoreGuiInset = true, Parent = playerGui })
			local insets = b.ScreenInsets.Name
			local c = make("ScreenGui", { IgnoreGuiInset = true })
			c.IgnoreGuiInset = false
			local topLeft, bottomRight = GuiService:GetGuiInset()
			return rect(a), rect(b), insets, c.ScreenInsets.Name, tostring(topLeft) .. " / " .. tostring(bottomRight)
		`);
		expect(normal).toEqual([0, 0, 1920, 1022]);
		expect(ignoring).toEqual([0, -58, 1920, 1080]);
		expect(insets).toBe("DeviceSafeInsets");
		expect(back).toBe("CoreUISafeInsets");
		expect(guiInset).toBe("0, 58 / 0, 0");
	});
});

describe("layout", () => {
	it("computes absolute rectangles from UDim2 scale and offset, AnchorPoint and the parent's rectangle", async () => {
		const [outer, inner, folderChild, squared] = await client<number[][]>(`
			local sg = make("ScreenGui", { Parent = playerGui })
			local outer = make("Frame", {
				Size = UDim2.new(0.5, 10, 0.25, -20), Position = UDim2.new(0.1, 5, 0.2, 7), AnchorPoint = Vector2.new(0.5, 1),
				Parent = sg,
			})
			local inner = make("Frame", { Size = UDim2.new(0.5, 0, 0, 30), Position = UDim2.new(1, -10, 0.5, 0), AnchorPoint = Vector2.new(1, 0.5), Parent = outer })
			local folder = make("Folder", { Parent = outer })
			local viaFolder = make("Frame", { Size = UDim2.fromScale(1, 1), Parent = folder })
			local square = make("Frame", { Size = UDim2.fromScale(0.1, 0.1), SizeConstraint = Enum.SizeConstraint.RelativeXX, Parent = sg })
			return rect(outer), rect(inner), rect(viaFolder), rect(square)
		`);
		// Parent: 1920 × 1022 at (0, 0). Size 0.5 × 1920 + 10 = 970, 0.25 × 1022 − 20 = 235.5.
		const expected = [-288, 204.4 + 7 - 235.5, 970, 235.5];
		outer!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
		// Inner: 485 × 30, right edge 10 px inside the outer frame, centred vertically.
		const innerExpected = [-288 + 970 - 10 - 485, expected[1]! + 235.5 / 2 - 15, 485, 30];
		inner!.forEach((v, i) => expect(v).toBeCloseTo(innerExpected[i]!, 6));
		folderChild!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
		expect(squared).toEqual([0, 0, 192, 192]);
	});

	it("stacks a vertical UIListLayout by LayoutOrder with Padding, skipping hidden children, inside UIPadding", async () => {
		const [rects, content] = await client<[Record<string, number[]>, number[]]>(`
			local sg = make("ScreenGui", { Parent = playerGui })
			local panel = make("Frame", { Size = UDim2.fromOffset(400, 300), Position = UDim2.fromOffset(100, 50), Parent = sg }, {
				make("UIPadding", { PaddingTop = UDim.new(0, 10), PaddingLeft = UDim.new(0, 20), PaddingRight = UDim.new(0.1, 0) }),
				make("UIListLayout", { Padding = UDim.new(0, 8), HorizontalAlignment = Enum.HorizontalAlignment.Center, SortOrder = Enum.SortOrder.LayoutOrder }),
				make("TextLabel", { Name = "Title", LayoutOrder = 1, Size = UDim2.new(1, 0, 0, 40) }),
				make("TextButton", { Name = "Accept", LayoutOrder = 2, Size = UDim2.fromOffset(100, 30) }),
				make("TextButton", { Name = "Hidden", LayoutOrder = 3, Size = UDim2.fromOffset(100, 30), Visible = false }),
				make("TextButton", { Name = "Reject", LayoutOrder = 4, Size = UDim2.new(0.5, 0, 0, 30), Position = UDim2.fromOffset(999, 999) }),
				make("TextLabel", { Name = "First", LayoutOrder = 0, Size = UDim2.fromOffset(50, 20) }),
			})
			local out = {}
			for _, child in panel:GetChildren() do
				if child:IsA("GuiObject") and child.Visible then
					out[child.Name] = rect(child)
				end
			end
			return out, { panel.UIListLayout.AbsoluteContentSize.X, panel.UIListLayout.AbsoluteContentSize.Y }
		`);
		// Content box: x 120..460 (width 400 − 20 − 40 = 340), y from 60. Centred horizontally.
		expect(rects).toEqual({
			First: [120 + (340 - 50) / 2, 60, 50, 20],
			Title: [120, 60 + 20 + 8, 340, 40],
			Accept: [120 + (340 - 100) / 2, 60 + 20 + 8 + 40 + 8, 100, 30],
			Reject: [120 + (340 - 170) / 2, 60 + 20 + 8 + 40 + 8 + 30 + 8, 170, 30],
		});
		expect(content).toEqual([340, 20 + 40 + 30 + 30 + 3 * 8]);
	});

	it("lines up a horizontal UIListLayout by Name, aligned right and bottom, with scale padding", async () => {
		const [rects] = await client<[Record<string, number[]>]>(`
			local sg = make("ScreenGui", { Parent = playerGui })
			local bar = make("Frame", { Size = UDim2.fromOffset(500, 100), Parent = sg }, {
				make("UIListLayout", {
					FillDirection = Enum.FillDirection.Horizontal, SortOrder = Enum.SortOrder.Name, Padding = UDim.new(0.1, 0),
					HorizontalAlignment = Enum.HorizontalAlignment.Right, VerticalAlignment = Enum.VerticalAlignment.Bottom,
				}),
				make("TextButton", { Name = "B", Size = UDim2.fromOffset(100, 40), LayoutOrder = 1 }),
				make("TextButton", { Name = "A", Size = UDim2.fromOffset(80, 60), LayoutOrder = 2 }),
			})
			local out = {}
			for _, child in bar:GetChildren() do
				if child:IsA("GuiObject") then out[child.Name] = rect(child) end
			end
			return out
		`);
		// Total width 80 + 50 + 100 = 230, starting at 500 − 230; bottoms on y = 100.
		expect(rects).toEqual({ A: [270, 40, 80, 60], B: [400, 60, 100, 40] });
	});

	it("reads ContentText without rich-text tags and sizes AutomaticSize text from its estimated bounds", async () => {
		const [values] = await client<[Record<string, unknown>]>(`
			local sg = make("ScreenGui", { Parent = playerGui })
			local label = make("TextLabel", {
				Text = "<b>Accept</b> &amp; continue<br/>now", RichText = true, TextSize = 20,
				Size = UDim2.fromOffset(0, 0), AutomaticSize = Enum.AutomaticSize.XY, Parent = sg,
			})
			local plain = make("TextLabel", { Text = "<b>x</b>", Parent = sg })
			return {
				content = label.ContentText, plain = plain.ContentText, bounds = tostring(label.TextBounds),
				size = tostring(label.AbsoluteSize), fits = plain.TextFits,
			}
		`);
		// "Accept & continue" is 17 characters × 10 px; two lines of 20 px.
		expect(values).toEqual({
			content: "Accept & continue\nnow",
			plain: "<b>x</b>",
			bounds: "170, 40",
			size: "170, 40",
			fits: true,
		});
	});

	it("grows an AutomaticSize frame to its list's content plus padding, and clamps with UISizeConstraint", async () => {
		const [grown, clamped] = await client<number[][]>(`
			local sg = make("ScreenGui", { Parent = playerGui })
			local auto = make("Frame", { Size = UDim2.fromOffset(300, 0), AutomaticSize = Enum.AutomaticSize.Y, Parent = sg }, {
				make("UIPadding", { PaddingTop = UDim.new(0, 12), PaddingBottom = UDim.new(0, 12) }),
				make("UIListLayout", { Padding = UDim.new(0, 6) }),
				make("TextLabel", { Size = UDim2.new(1, 0, 0, 40) }),
				make("TextButton", { Size = UDim2.new(1, 0, 0, 50) }),
			})
			local limited = make("Frame", { Size = UDim2.fromScale(1, 1), Parent = sg }, {
				make("UISizeConstraint", { MaxSize = Vector2.new(600, 400), MinSize = Vector2.new(100, 100) }),
			})
			return rect(auto), rect(limited)
		`);
		expect(grown).toEqual([0, 0, 300, 12 + 40 + 6 + 50 + 12]);
		expect(clamped).toEqual([0, 0, 600, 400]);
	});
});

// A two-button dialog in a ScreenGui; _G.log records the events the buttons and UserInputService fire.
const DIALOG = `
	local sg = make("ScreenGui", { Name = "Consent", Parent = playerGui })
	local panel = make("Frame", { Name = "Panel", Size = UDim2.fromOffset(400, 200), Position = UDim2.fromScale(0.5, 0.5), AnchorPoint = Vector2.new(0.5, 0.5), Parent = sg }, {
		make("UIListLayout", { Padding = UDim.new(0, 10) }),
		make("TextButton", { Name = "Accept", Text = "Accept all", Size = UDim2.new(1, 0, 0, 50), LayoutOrder = 1 }),
		make("TextButton", { Name = "Reject", Text = "Reject all", Size = UDim2.new(1, 0, 0, 50), LayoutOrder = 2 }),
	})
	for _, button in { panel.Accept, panel.Reject } do
		button.MouseButton1Down:Connect(function(x, y) log(button.Name .. " down " .. x .. "," .. y) end)
		button.MouseButton1Up:Connect(function() log(button.Name .. " up") end)
		button.MouseButton1Click:Connect(function() log(button.Name .. " click") end)
		button.Activated:Connect(function(input, count)
			log(button.Name .. " activated " .. input.UserInputType.Name .. " " .. input.KeyCode.Value .. " " .. count)
		end)
		button.TouchTap:Connect(function(positions) log(button.Name .. " touchtap " .. tostring(positions[1])) end)
	end
	keep(UIS.InputBegan:Connect(function(input, processed)
		log("began " .. input.UserInputType.Name .. " " .. tostring(processed))
		_G.position = tostring(input.Position)
	end))
	keep(UIS.InputEnded:Connect(function(input, processed) log("ended " .. input.UserInputType.Name .. " " .. tostring(processed)) end))
	keep(UIS.TouchTap:Connect(function(_, processed) log("uis touchtap " .. tostring(processed)) end))
	_G.log = {}
`;

describe("clicks and taps", () => {
	it("shows the dialog's texts with their screen rectangles", async () => {
		await client(DIALOG);
		const texts = await screen.visibleTexts();
		// Panel: 400 × 200 centred in 1920 × 1022 below the 58 px bar → screen (760, 58 + 411).
		expect(texts.map(({ text, x, y, width, height }) => ({ text, x, y, width, height }))).toEqual([
			{ text: "Accept all", x: 760, y: 469, width: 400, height: 50 },
			{ text: "Reject all", x: 760, y: 529, width: 400, height: 50 },
		]);
	});

	it("fires MouseButton1Down/Up/Click and Activated on a mouse click, with the input marked processed", async () => {
		await client(DIALOG);
		const result = await screen.clickButton("Reject all");
		expect(result).toMatchObject({ hit: "Players.ana.PlayerGui.Consent.Panel.Reject", sunk: true });
		const [position] = await world.run<[string]>(ID, `return _G.position`);
		expect(position).toBe("960, 496, 0"); // InputObject.Position is below the top bar, like AbsolutePosition
		expect(await log()).toEqual([
			"began MouseButton1 true",
			"Reject down 960,496",
			"ended MouseButton1 true",
			"Reject up",
			"Reject click",
			"Reject activated MouseButton1 0 1",
		]);
	});

	it("lets a click on empty screen through to the game", async () => {
		await client(DIALOG);
		expect(await screen.click(10, 1000)).toEqual({ sunk: false });
		expect(await log()).toEqual(["began MouseButton1 false", "ended MouseButton1 false"]);
	});

	it("fires Activated and TouchTap on a tap", async () => {
		await client(DIALOG);
		await screen.tapButton("Accept all");
		expect(await log()).toEqual([
			"began Touch true",
			"Accept down 960,436",
			"ended Touch true",
			"Accept touchtap 960, 436",
			"uis touchtap true",
			"Accept up",
			"Accept click",
			"Accept activated Touch 0 1",
		]);
	});

	it("fires MouseButton1Click but not Activated on a button that is not Active", async () => {
		await client(DIALOG + `panel.Accept.Active = false`);
		await screen.clickButton("Accept all");
		expect((await log()).filter((e) => e.startsWith("Accept"))).toEqual([
			"Accept down 960,436",
			"Accept up",
			"Accept click",
		]);
	});

	it("sends the server a remote event from a clicked button", async () => {
		await world.run(
			"server",
			`
			local remote = Instance.new("RemoteEvent")
			remote.Name = "ConsentChoice"
			remote.Parent = game:GetService("ReplicatedStorage")
			remote.OnServerEvent:Connect(function(player, choice) _G.choice = player.Name .. ":" .. choice end)
		`,
		);
		await world.advance(0.1);
		await client(
			DIALOG +
				`
			local remote = game:GetService("ReplicatedStorage"):WaitForChild("ConsentChoice")
			panel.Accept.Activated:Connect(function() remote:FireServer("accept") end)
		`,
		);
		await screen.clickButton("Accept all");
		await world.advance(0.1);
		const [choice] = await world.run<[string]>("server", `return _G.choice`);
		expect(choice).toBe("ana:accept");
	});

	it("hits the ScreenGui with the higher DisplayOrder, then the higher ZIndex", async () => {
		await client(`
			local low = make("ScreenGui", { Name = "Low", DisplayOrder = 5, Parent = playerGui })
			local high = make("ScreenGui", { Name = "High", DisplayOrder = 10 })
			make("TextButton", { Name = "Under", Text = "Under", Size = UDim2.fromOffset(200, 100), Parent = high })
			make("TextButton", { Name = "Over", Text = "Over", Size = UDim2.fromOffset(200, 100), Parent = low })
			high.Parent = playerGui
			local z = make("ScreenGui", { Name = "Z", DisplayOrder = 20, Parent = playerGui })
			make("TextButton", { Name = "Top", ZIndex = 3, Size = UDim2.fromOffset(100, 100), Position = UDim2.fromOffset(500, 0), Parent = z })
			make("TextButton", { Name = "Bottom", ZIndex = 2, Size = UDim2.fromOffset(100, 100), Position = UDim2.fromOffset(500, 0), Parent = z })
		`);
		expect((await screen.hitAt(50, 100)).hit).toBe("Players.ana.PlayerGui.High.Under");
		expect((await screen.hitAt(550, 100)).hit).toBe("Players.ana.PlayerGui.Z.Top");
		await expect(screen.clickButton("Over")).rejects.toThrow(/is covered by Players.ana.PlayerGui.High.Under/);
		await world.run(ID, `game:GetService("Players").LocalPlayer.PlayerGui.High.DisplayOrder = 1`);
		expect((await screen.hitAt(50, 100)).hit).toBe("Players.ana.PlayerGui.Low.Over");
		await world.run(ID, `game:GetService("Players").LocalPlayer.PlayerGui.Z.Bottom.ZIndex = 4`);
		expect((await screen.hitAt(550, 100)).hit).toBe("Players.ana.PlayerGui.Z.Bottom");
	});

	it("stacks by ZIndex among siblings (Sibling) or across the whole ScreenGui (Global)", async () => {
		await client(`
			local sg = make("ScreenGui", { Name = "S", Parent = playerGui })
			make("Frame", { Name = "High", ZIndex = 5, Size = UDim2.fromOffset(100, 100), Parent = sg }, {
				make("TextButton", { Name = "Child", ZIndex = 1, Size = UDim2.fromScale(1, 1) }),
			})
			make("TextButton", { Name = "Middle", ZIndex = 3, Size = UDim2.fromOffset(100, 100), Parent = sg })
		`);
		expect((await screen.hitAt(50, 108)).hit).toBe("Players.ana.PlayerGui.S.High.Child");
		await world.run(
			ID,
			`game:GetService("Players").LocalPlayer.PlayerGui.S.ZIndexBehavior = Enum.ZIndexBehavior.Global`,
		);
		expect((await screen.hitAt(50, 108)).hit).toBe("Players.ana.PlayerGui.S.Middle");
	});

	it("lets clicks through inactive frames but not through Active ones", async () => {
		await client(
			DIALOG +
				`
			make("Frame", { Name = "Veil", Size = UDim2.fromScale(1, 1), BackgroundTransparency = 0.5, ZIndex = 5, Parent = sg })
		`,
		);
		expect((await screen.clickButton("Accept all")).hit).toBe("Players.ana.PlayerGui.Consent.Panel.Accept");
		await world.run(ID, `game:GetService("Players").LocalPlayer.PlayerGui.Consent.Veil.Active = true`);
		await expect(screen.clickButton("Accept all")).rejects.toThrow(/covered by Players.ana.PlayerGui.Consent.Veil/);
		expect(await screen.click(960, 496)).toEqual({
			hit: "Players.ana.PlayerGui.Consent.Veil",
			hitId: expect.any(Number),
			sunk: true,
		});
	});

	it("hides buttons under an invisible ancestor, a disabled ScreenGui, outside PlayerGui or off-screen", async () => {
		await client(DIALOG + `panel.Visible = false`);
		expect(await screen.visibleTexts()).toEqual([]);
		await expect(screen.clickButton("Accept all")).rejects.toThrow(
			'no shown button "Accept all" (Players.ana.PlayerGui.Consent.Panel.Accept is hidden: ' +
				"Visible = false on Players.ana.PlayerGui.Consent.Panel)",
		);
		expect(await screen.click(960, 496)).toEqual({ sunk: false });
		await world.run(
			ID,
			`
			local sg = game:GetService("Players").LocalPlayer.PlayerGui.Consent
			sg.Panel.Visible = true
			sg.Enabled = false
		`,
		);
		expect(await screen.visibleTexts()).toEqual([]);
		await expect(screen.clickButton("Reject all")).rejects.toThrow(/is hidden: ScreenGui .*Consent is not Enabled/);
		await world.run(
			ID,
			`
			local sg = game:GetService("Players").LocalPlayer.PlayerGui.Consent
			sg.Enabled = true
			sg.Parent = game:GetService("ReplicatedStorage")
		`,
		);
		expect(await screen.visibleTexts()).toEqual([]);
		await world.run(
			ID,
			`
			local sg = game:GetService("ReplicatedStorage").Consent
			sg.Parent = game:GetService("Players").LocalPlayer.PlayerGui
			sg.Panel.Position = UDim2.new(0, -1000, 0, 0)
		`,
		);
		await expect(screen.clickButton("Reject all")).rejects.toThrow(/off-screen or clipped away/);
	});

	it("clicks ImageButtons, skips objects that are not Interactable, and tracks the last input type", async () => {
		await screen.pressGamepad("ButtonB"); // earlier tests left another last input type
		await client(`
			local sg = make("ScreenGui", { Parent = playerGui })
			local back = make("TextButton", { Name = "Back", Text = "Back", Size = UDim2.fromOffset(100, 100), Parent = sg })
			local icon = make("ImageButton", { Name = "Icon", Image = "rbxassetid://1", Size = UDim2.fromOffset(100, 100), Parent = sg })
			icon.Activated:Connect(function() log("icon") end)
			back.Activated:Connect(function() log("back") end)
			keep(UIS.LastInputTypeChanged:Connect(function(t) log("last " .. t.Name) end))
		`);
		expect((await screen.click(50, 108)).hit).toBe("Players.ana.PlayerGui.ScreenGui.Icon");
		await world.run(ID, `game:GetService("Players").LocalPlayer.PlayerGui.ScreenGui.Icon.Interactable = false`);
		expect((await screen.tap(50, 108)).hit).toBe("Players.ana.PlayerGui.ScreenGui.Back");
		await screen.pressGamepad("ButtonB");
		const [last, mouse] = await world.run<[string, string]>(
			ID,
			`local UIS = game:GetService("UserInputService")
			return UIS:GetLastInputType().Name, tostring(UIS:GetMouseLocation())`,
		);
		expect(last).toBe("Gamepad1");
		expect(mouse).toBe("50, 108"); // screen pixels of the last click or tap: GetMouseLocation ignores the inset
		expect(await log()).toEqual(["last MouseButton1", "icon", "last Touch", "back", "last Gamepad1"]);
	});

	it("clips the children of a ScrollingFrame to it and moves them with CanvasPosition", async () => {
		await client(`
			local sg = make("ScreenGui", { Parent = playerGui })
			local list = make("ScrollingFrame", { Size = UDim2.fromOffset(300, 100), CanvasSize = UDim2.fromOffset(0, 400), Parent = sg }, {
				make("UIListLayout", {}),
			})
			for i = 1, 8 do
				make("TextButton", { Name = "Item" .. i, Text = "Item " .. i, Size = UDim2.new(1, 0, 0, 50), LayoutOrder = i, Parent = list })
			end
		`);
		expect((await screen.visibleTexts()).map((t) => [t.text, t.y, t.height])).toEqual([
			["Item 1", 58, 50],
			["Item 2", 108, 50],
		]);
		await expect(screen.clickButton("Item 3")).rejects.toThrow(/off-screen or clipped away/);
		await world.run(
			ID,
			`game:GetService("Players").LocalPlayer.PlayerGui.ScreenGui.ScrollingFrame.CanvasPosition = Vector2.new(0, 125)`,
		);
		expect((await screen.visibleTexts()).map((t) => [t.text, t.y, t.height])).toEqual([
			["Item 3", 58, 25],
			["Item 4", 83, 50],
			["Item 5", 133, 25],
		]);
		expect((await screen.clickButton("Item 4")).hit).toMatch(/Item4$/);
	});
});

// A 2 × 2 grid and a vertical list of buttons, 200 × 60 each.
const GRID = `
	local sg = make("ScreenGui", { Name = "Pad", Parent = playerGui })
	local function button(name, x, y, parent)
		local b = make("TextButton", { Name = name, Text = name, Size = UDim2.fromOffset(200, 60), Position = UDim2.fromOffset(x, y), Parent = parent or sg })
		b.Activated:Connect(function(input) log(name .. " activated " .. input.KeyCode.Name) end)
		b.SelectionGained:Connect(function() log(name .. " gained") end)
		b.SelectionLost:Connect(function() log(name .. " lost") end)
		return b
	end
	button("TL", 100, 100) button("TR", 320, 100) button("BL", 100, 180) button("BR", 320, 180)
	local list = make("Frame", { Name = "List", Size = UDim2.fromOffset(200, 400), Position = UDim2.fromOffset(800, 100), BackgroundTransparency = 1, Parent = sg }, {
		make("UIListLayout", { Padding = UDim.new(0, 10) }),
	})
	for i = 1, 4 do
		button("L" .. i, 0, 0, list).LayoutOrder = i
	end
	_G.log = {}
`;

function last(path: string | undefined): string | undefined {
	return path?.split(".").pop();
}

describe("gamepad selection", () => {
	it("moves around a 2 × 2 grid with the DPad and activates with ButtonA", async () => {
		await client(GRID + `GuiService.SelectedObject = sg.TL`);
		const visited = [];
		for (const key of ["DPadRight", "DPadDown", "DPadLeft", "DPadUp"] as const) {
			visited.push(last((await screen.pressGamepad(key)).selected));
		}
		expect(visited).toEqual(["TR", "BR", "BL", "TL"]);
		expect(last((await screen.pressGamepad("DPadUp")).selected)).toBe("TL"); // nothing above: stays
		const a = await screen.pressGamepad("ButtonA");
		expect(last(a.activated)).toBe("TL");
		expect(await log()).toEqual([
			"TL gained",
			...["TL lost", "TR gained", "TR lost", "BR gained", "BR lost", "BL gained", "BL lost", "TL gained"],
			"TL activated ButtonA",
		]);
	});

	it("walks a vertical list to its end and back, and stops at the ends", async () => {
		await client(GRID + `GuiService.SelectedObject = sg.List.L1`);
		const down = [];
		for (let i = 0; i < 4; i++) down.push(last((await screen.pressGamepad("DPadDown")).selected));
		expect(down).toEqual(["L2", "L3", "L4", "L4"]);
		const up = [];
		for (let i = 0; i < 3; i++) up.push(last((await screen.pressGamepad("Thumbstick1Up")).selected));
		expect(up).toEqual(["L3", "L2", "L1"]);
		expect(last((await screen.pressGamepad("DPadLeft")).selected)).toBe("TR");
	});

	it("follows NextSelection links over the nearest object", async () => {
		await client(
			GRID +
				`
			sg.TL.NextSelectionDown = sg.BR
			sg.BR.NextSelectionRight = sg.List.L4
			sg.TR.NextSelectionLeft = sg.BL
			GuiService.SelectedObject = sg.TL
		`,
		);
		expect(last((await screen.pressGamepad("DPadDown")).selected)).toBe("BR");
		expect(last((await screen.pressGamepad("DPadRight")).selected)).toBe("L4");
		await world.run(
			ID,
			`game:GetService("GuiService").SelectedObject = game:GetService("Players").LocalPlayer.PlayerGui.Pad.TR`,
		);
		expect(last((await screen.pressGamepad("DPadLeft")).selected)).toBe("BL");
	});

	it("selects with ButtonSelect or GuiService:Select, and only selectable objects on screen", async () => {
		const [refused, picked] = await client<[Record<string, unknown>, string]>(
			GRID +
				`
			local frame = make("Frame", { Parent = sg })
			local results = {}
			frame.SelectionGained:Connect(function() results.gained = true end)
			GuiService.SelectedObject = frame
			results.frame = GuiService.SelectedObject == nil
			sg.TL.Visible = false
			GuiService.SelectedObject = sg.TL
			results.hidden = GuiService.SelectedObject == nil
			sg.TL.Visible = true
			sg.List.L3.SelectionOrder = -1
			GuiService:Select(sg.List)
			task.wait()
			return results, GuiService.SelectedObject.Name
		`,
		);
		expect(refused).toEqual({ frame: true, hidden: true });
		expect(picked).toBe("L3");
		// Hiding the selected object drops the selection; then DPad input is not the GUI's.
		await world.run(ID, `game:GetService("Players").LocalPlayer.PlayerGui.Pad.List.Visible = false`);
		expect(await screen.pressGamepad("DPadDown")).toEqual({});
		expect(last((await screen.pressGamepad("ButtonSelect")).selected)).toBe("TL");
		expect(await screen.pressGamepad("ButtonSelect")).toEqual({});
	});

	it("reports gamepad input as processed only while something is selected", async () => {
		await client(
			GRID +
				`
			keep(UIS.InputBegan:Connect(function(input, processed) log(input.KeyCode.Name .. " " .. tostring(processed)) end))
		`,
		);
		await screen.pressGamepad("DPadDown");
		await world.run(
			ID,
			`game:GetService("GuiService").SelectedObject = game:GetService("Players").LocalPlayer.PlayerGui.Pad.BL`,
		);
		await screen.pressGamepad("DPadDown");
		await screen.pressGamepad("ButtonA");
		expect((await log()).filter((e) => /true|false/.test(e))).toEqual([
			"DPadDown false",
			"DPadDown true",
			"ButtonA true",
		]);
	});
});

// A consent-style prompt: a panel sized by scale and capped, a title, a scrolling list of category toggles and a row of
// three buttons; every activation is logged with the input type.
const PROMPT = `
	local sg = make("ScreenGui", { Name = "Prompt", DisplayOrder = 100, Parent = playerGui })
	local panel = make("Frame", {
		Name = "Panel", AnchorPoint = Vector2.new(0.5, 0.5), Position = UDim2.fromScale(0.5, 0.5), Size = UDim2.fromScale(0.9, 0.9), Parent = sg,
	}, {
		make("UISizeConstraint", { MaxSize = Vector2.new(520, 360) }),
		make("UIPadding", { PaddingTop = UDim.new(0, 12), PaddingBottom = UDim.new(0, 12), PaddingLeft = UDim.new(0, 12), PaddingRight = UDim.new(0, 12) }),
		make("UIListLayout", { Padding = UDim.new(0, 8), HorizontalAlignment = Enum.HorizontalAlignment.Center }),
		make("TextLabel", { Name = "Title", Text = "Your privacy", LayoutOrder = 1, Size = UDim2.new(1, 0, 0, 30) }),
		make("ScrollingFrame", { Name = "Categories", LayoutOrder = 2, Size = UDim2.new(1, 0, 0, 100), CanvasSize = UDim2.fromOffset(0, 150) }, {
			make("UIListLayout", { Padding = UDim.new(0, 0) }),
		}),
		make("Frame", { Name = "Buttons", LayoutOrder = 3, Size = UDim2.new(1, 0, 0, 44), BackgroundTransparency = 1 }, {
			make("UIListLayout", { FillDirection = Enum.FillDirection.Horizontal, Padding = UDim.new(0, 8), HorizontalAlignment = Enum.HorizontalAlignment.Center }),
		}),
	})
	for i, name in { "Analytics", "Experiments", "Personalised" } do
		local toggle = make("TextButton", { Name = name, Text = name .. ": off", LayoutOrder = i, Size = UDim2.new(1, 0, 0, 50), Parent = panel.Categories })
		toggle.Activated:Connect(function(input)
			toggle.Text = name .. (toggle.Text:find("off") and ": on" or ": off")
			log(toggle.Text .. " by " .. input.UserInputType.Name)
		end)
	end
	for i, label in { "Reject all", "Choose", "Accept all" } do
		local button = make("TextButton", { Name = label:gsub(" ", ""), Text = label, LayoutOrder = i, Size = UDim2.new(0, 140, 1, 0), Parent = panel.Buttons })
		button.Activated:Connect(function(input) log(label .. " by " .. input.UserInputType.Name) end)
	end
`;

describe("a consent-style prompt on three devices", () => {
	it("works with a mouse, a touch screen and a gamepad", async () => {
		const w = await World.create({ tree: place({}) });
		const run = (id: number, source: string) => w.run(id, PRELUDE + source);
		const logOf = async (id: number) => (await w.run<[string[]]>(id, `return _G.log`))[0];
		try {
			for (const [id, platform] of [
				[1, "Windows"],
				[2, "Android"],
				[3, "XBoxOne"],
			] as const) {
				await w.addPlayer({ userId: id, name: `p${id}`, platform });
				await run(id, PROMPT);
			}
			// Desktop: the panel is capped at 520 × 360 and centred; the toggles list shows two rows.
			const desktop = Screen.of(w, 1);
			const texts = await desktop.visibleTexts();
			expect(texts.map((t) => t.text)).toEqual([
				"Your privacy",
				"Analytics: off",
				"Experiments: off",
				"Reject all",
				"Choose",
				"Accept all",
			]);
			expect(texts[0]).toMatchObject({ x: 700 + 12, y: 58 + 331 + 12, width: 496, height: 30 });
			await desktop.clickButton("Experiments: off");
			await desktop.clickButton("Accept all");
			expect(await logOf(1)).toEqual(["Experiments: on by MouseButton1", "Accept all by MouseButton1"]);

			// Phone: 844 × 390 leaves 332 px under the top bar; 90 % of it is 298.8 high.
			const phone = Screen.of(w, 2);
			const [panel] = await w.run<[number[]]>(
				2,
				`
				local p = game:GetService("Players").LocalPlayer.PlayerGui.Prompt.Panel
				return { p.AbsoluteSize.X, p.AbsoluteSize.Y }
			`,
			);
			expect(panel![0]).toBeCloseTo(520, 6);
			expect(panel![1]).toBeCloseTo(298.8, 6);
			await phone.tapButton("Reject all");
			expect(await logOf(2)).toEqual(["Reject all by Touch"]);

			// Console: the game selects the prompt, the player moves down to the buttons and right to "Choose".
			await w.run(
				3,
				`
				local GuiService = game:GetService("GuiService")
				GuiService:Select(game:GetService("Players").LocalPlayer.PlayerGui.Prompt.Panel.Categories)
			`,
			);
			const pad = Screen.of(w, 3);
			expect((await pad.selected())?.text).toBe("Analytics: off");
			await pad.pressGamepad("ButtonA");
			// Down through the list scrolls the third toggle into view; then down to the buttons, left, and back right.
			const moves = [];
			for (const key of ["DPadDown", "DPadDown", "DPadDown", "DPadLeft", "DPadRight"] as const) {
				moves.push((await pad.pressGamepad(key)).selected?.split(".").pop());
			}
			expect(moves).toEqual(["Experiments", "Personalised", "Choose", "Rejectall", "Choose"]);
			const [scrolled] = await w.run<[number]>(
				3,
				`return game:GetService("Players").LocalPlayer.PlayerGui.Prompt.Panel.Categories.CanvasPosition.Y`,
			);
			expect(scrolled).toBe(50);
			await pad.pressGamepad("ButtonA");
			expect(await logOf(3)).toEqual(["Analytics: on by Gamepad1", "Choose by Gamepad1"]);
		} finally {
			await w.destroy();
		}
	});
});

describe("StarterGui", () => {
	it("shows a ScreenGui from StarterGui in the player's PlayerGui and clicks it", async () => {
		const w = await World.create({
			tree: place({
				StarterGui: [inst("Prompt", "ScreenGui", [inst("Ok", "TextButton", [], { Text: "OK" })])],
			}),
		});
		try {
			await w.addPlayer({ userId: 7, name: "bo", platform: "IOS" });
			await w.run(
				7,
				`
				game:GetService("Players").LocalPlayer.PlayerGui:WaitForChild("Prompt").Ok.Activated:Connect(function(input)
					_G.tapped = input.UserInputType.Name
				end)
			`,
			);
			const phone = Screen.of(w, 7);
			expect(await phone.visibleTexts()).toEqual([
				{
					text: "OK",
					path: "Players.bo.PlayerGui.Prompt.Ok",
					className: "TextButton",
					x: 0,
					y: 58,
					width: 200,
					height: 50,
					button: "Players.bo.PlayerGui.Prompt.Ok",
				},
			]);
			await phone.tapButton("OK");
			const [tapped] = await w.run<[string]>(7, `return _G.tapped`);
			expect(tapped).toBe("Touch");
		} finally {
			await w.destroy();
		}
	});

	it("has no GUI on a client without a local player", async () => {
		const vm = await RobloxVm.create({ role: "client" });
		try {
			expect(await Screen.ofVm(vm).visibleTexts()).toEqual([]);
		} finally {
			vm.destroy();
		}
	});
});
