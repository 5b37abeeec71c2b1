import { describe, expect, it } from "@rbxts/jest-globals";
import { CONSENT_LANGUAGES, consentTexts } from "../../../src/client/consent-strings";

describe("consent prompt strings", () => {
	it("speaks the player's language, Brazilian Portuguese included, and falls back to English", () => {
		expect(consentTexts("de-de")).toMatchObject({ language: "de", texts: { rejectAll: "Alle ablehnen" } });
		expect(consentTexts("fr-ca").texts.acceptAll).toBe("Tout accepter");
		expect(consentTexts("es-mx").texts.rejectAll).toBe("Rechazar todo");
		expect(consentTexts("pt-br")).toMatchObject({ language: "pt-br", texts: { acceptAll: "Aceitar tudo" } });
		expect(consentTexts("pt-pt").language).toBe("pt-br");
		expect(consentTexts("ja-jp")).toMatchObject({ language: "en", texts: { acceptAll: "Accept all" } });
		expect(consentTexts("EN-US").language).toBe("en");
	});

	it("has every string in every language, none empty", () => {
		const english = consentTexts("en-us").texts as unknown as Record<string, string>;
		for (const language of CONSENT_LANGUAGES) {
			const texts = consentTexts(language).texts as unknown as Record<string, string>;
			for (const [key] of pairs(english)) {
				expect(typeIs(texts[key], "string") && texts[key].size() > 0).toBe(true);
			}
			if (language !== "en") expect(texts.rejectAll).never.toBe(english.rejectAll);
		}
	});

	it("lets the game replace any string, and ignores what is not a string of the prompt", () => {
		const { texts } = consentTexts("de-de", { title: "Datenschutz", nope: "x", body: "" } as never);
		expect(texts.title).toBe("Datenschutz");
		expect(texts.body).toBe(consentTexts("de-de").texts.body);
		expect((texts as unknown as Record<string, unknown>).nope).toBe(undefined);
	});
});
