import { describe, expect, it } from "@rbxts/jest-globals";
import { version } from "../../../src/shared/version";

describe("version", () => {
	it("is a semantic version", () => {
		expect(version).toMatch("^%d+%.%d+%.%d+$");
	});
});
