import { describe, expect, it } from "@rbxts/jest-globals";
import { classifyDevice, InputCapabilities, readDevice } from "../../../src/client/device";

const none: InputCapabilities = {
	touch: false,
	keyboard: false,
	mouse: false,
	gamepad: false,
	vr: false,
	tenFoot: false,
};

describe("classifyDevice", () => {
	it("tells devices apart by their input capabilities", () => {
		const cases: [Partial<InputCapabilities>, string][] = [
			[{ keyboard: true, mouse: true }, "desktop"],
			[{ keyboard: true, mouse: true, touch: true }, "desktop"],
			[{ touch: true }, "phone"],
			[{ touch: true, screenWidth: 844, screenHeight: 390 }, "phone"],
			[{ touch: true, screenWidth: 1024, screenHeight: 768 }, "tablet"],
			[{ gamepad: true, tenFoot: true }, "console"],
			[{ gamepad: true }, "console"],
			[{ vr: true, gamepad: true, keyboard: true }, "vr"],
			[{}, "unknown"],
		];
		for (const [caps, expected] of cases) expect(classifyDevice({ ...none, ...caps })).toBe(expected);
	});
});

describe("readDevice", () => {
	it("reads the capabilities without erroring where there is no local device (the specs' server)", () => {
		const device = readDevice();
		expect(device).toEqual({ device: "unknown", ...none });
	});
});
