// Device facts on the client. Roblox gives games no platform name (UserInputService:GetPlatform is not accessible to
// game scripts), so the device class is inferred from input capabilities, as games do: VR headset, ten-foot (console)
// interface, touch without keyboard or mouse (phone or tablet, told apart by the screen's short side), keyboard or
// mouse (desktop).
import { GuiService, UserInputService, Workspace } from "@rbxts/services";
import { DeviceClass, DeviceInfo } from "../shared/protocol";

/** Shortest screen side, in pixels, of a tablet; phones are narrower. */
const TABLET_MIN_SIDE = 600;

export type InputCapabilities = Omit<DeviceInfo, "device">;

/** The device class from input capabilities (pure; the steps run top to bottom). */
export function classifyDevice(c: InputCapabilities): DeviceClass {
	// 1. A VR headset is a VR device whatever else is connected.
	if (c.vr) return "vr";
	// 2. The ten-foot interface is what consoles run.
	if (c.tenFoot) return "console";
	// 3. Touch without keyboard or mouse: a phone or a tablet.
	if (c.touch && !c.keyboard && !c.mouse) {
		if (c.screenWidth !== undefined && c.screenHeight !== undefined) {
			return math.min(c.screenWidth, c.screenHeight) >= TABLET_MIN_SIDE ? "tablet" : "phone";
		}
		return "phone";
	}
	// 4. A keyboard or a mouse: a computer.
	if (c.keyboard || c.mouse) return "desktop";
	// 5. Only a gamepad: a console-like setup.
	if (c.gamepad) return "console";
	return "unknown";
}

function read<T>(get: () => T, fallback: T): T {
	const [ok, value] = pcall(get);
	return ok && typeIs(value, typeOf(fallback)) ? (value as T) : fallback;
}

/** Reads the local device; every property read is guarded, so a missing one only leaves a fact at its default. */
export function readDevice(): DeviceInfo {
	const c: InputCapabilities = {
		touch: read(() => UserInputService.TouchEnabled, false),
		keyboard: read(() => UserInputService.KeyboardEnabled, false),
		mouse: read(() => UserInputService.MouseEnabled, false),
		gamepad: read(() => UserInputService.GamepadEnabled, false),
		vr: read(() => UserInputService.VREnabled, false),
		tenFoot: read(() => GuiService.IsTenFootInterface(), false),
	};
	// Camera.ViewportSize: the screen size in pixels, when the client has a camera yet.
	const [ok, size] = pcall(() => Workspace.CurrentCamera?.ViewportSize);
	if (ok && typeIs(size, "Vector2") && size.X > 0 && size.Y > 0) {
		c.screenWidth = math.floor(size.X);
		c.screenHeight = math.floor(size.Y);
	}
	return { device: classifyDevice(c), ...c };
}
