import { describe, expect, it } from "vitest";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";

describe("password hashing", () => {
	it("hashes with argon2id and verifies", async () => {
		const stored = await hashPassword("correct horse battery staple");
		expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
		expect(await verifyPassword(stored, "correct horse battery staple")).toBe(true);
		expect(await verifyPassword(stored, "correct horse battery stapl")).toBe(false);
	});

	it("salts every hash", async () => {
		expect(await hashPassword("same password")).not.toBe(await hashPassword("same password"));
	});

	it("answers false for a malformed stored hash", async () => {
		expect(await verifyPassword("not a hash", "x")).toBe(false);
	});

	it("has a dummy hash that matches nothing a user types", async () => {
		expect(await verifyPassword(await dummyPasswordHash(), "")).toBe(false);
	});
});
