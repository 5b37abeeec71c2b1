// The consent prompt's words, per language. Plain words, as short as the choice allows; "Reject all" says as much as
// "Accept all" in every language. A locale picks its language ("de-de" → de), Brazilian Portuguese has its own
// table, and anything else falls back to English. A game can override any string (ConsentPromptOptions.texts).

/** Every string the prompt shows. */
export interface ConsentTexts {
	title: string;
	body: string;
	acceptAll: string;
	rejectAll: string;
	choose: string;
	save: string;
	back: string;
	on: string;
	off: string;
	analytics: string;
	analyticsHelp: string;
	experiments: string;
	experimentsHelp: string;
	personalization: string;
	personalizationHelp: string;
}

const EN: ConsentTexts = {
	title: "Your data in this game",
	body:
		"We would like to record how you play to improve the game, try out changes, and tailor what you see. " +
		"You choose. You can change your mind at any time in the game's settings.",
	acceptAll: "Accept all",
	rejectAll: "Reject all",
	choose: "Choose",
	save: "Save choices",
	back: "Back",
	on: "On",
	off: "Off",
	analytics: "Analytics",
	analyticsHelp: "How you play: sessions, levels, purchases.",
	experiments: "Experiments",
	experimentsHelp: "Try new versions of the game and measure them.",
	personalization: "Personalization",
	personalizationHelp: "Tailor offers and content to you.",
};

const DE: ConsentTexts = {
	title: "Deine Daten in diesem Spiel",
	body:
		"Wir möchten aufzeichnen, wie du spielst, um das Spiel zu verbessern, Änderungen auszuprobieren und anzupassen, " +
		"was du siehst. Du entscheidest. Du kannst deine Wahl jederzeit in den Einstellungen des Spiels ändern.",
	acceptAll: "Alle akzeptieren",
	rejectAll: "Alle ablehnen",
	choose: "Auswählen",
	save: "Auswahl speichern",
	back: "Zurück",
	on: "An",
	off: "Aus",
	analytics: "Analyse",
	analyticsHelp: "Wie du spielst: Sitzungen, Level, Käufe.",
	experiments: "Experimente",
	experimentsHelp: "Neue Versionen des Spiels testen und messen.",
	personalization: "Personalisierung",
	personalizationHelp: "Angebote und Inhalte auf dich zuschneiden.",
};

const FR: ConsentTexts = {
	title: "Tes données dans ce jeu",
	body:
		"Nous aimerions enregistrer ta façon de jouer pour améliorer le jeu, tester des changements et adapter ce que " +
		"tu vois. C'est toi qui choisis. Tu peux changer d'avis à tout moment dans les paramètres du jeu.",
	acceptAll: "Tout accepter",
	rejectAll: "Tout refuser",
	choose: "Choisir",
	save: "Enregistrer",
	back: "Retour",
	on: "Oui",
	off: "Non",
	analytics: "Statistiques",
	analyticsHelp: "Ta façon de jouer : sessions, niveaux, achats.",
	experiments: "Expériences",
	experimentsHelp: "Essayer de nouvelles versions du jeu et les mesurer.",
	personalization: "Personnalisation",
	personalizationHelp: "Adapter les offres et le contenu pour toi.",
};

const ES: ConsentTexts = {
	title: "Tus datos en este juego",
	body:
		"Nos gustaría registrar cómo juegas para mejorar el juego, probar cambios y adaptar lo que ves. Tú decides. " +
		"Puedes cambiar de opinión en cualquier momento en los ajustes del juego.",
	acceptAll: "Aceptar todo",
	rejectAll: "Rechazar todo",
	choose: "Elegir",
	save: "Guardar",
	back: "Volver",
	on: "Sí",
	off: "No",
	analytics: "Analítica",
	analyticsHelp: "Cómo juegas: sesiones, niveles, compras.",
	experiments: "Experimentos",
	experimentsHelp: "Probar nuevas versiones del juego y medirlas.",
	personalization: "Personalización",
	personalizationHelp: "Adaptar ofertas y contenido a ti.",
};

const PT_BR: ConsentTexts = {
	title: "Seus dados neste jogo",
	body:
		"Queremos registrar como você joga para melhorar o jogo, testar mudanças e adaptar o que você vê. Você decide. " +
		"Você pode mudar de ideia a qualquer momento nas configurações do jogo.",
	acceptAll: "Aceitar tudo",
	rejectAll: "Recusar tudo",
	choose: "Escolher",
	save: "Salvar escolhas",
	back: "Voltar",
	on: "Sim",
	off: "Não",
	analytics: "Análises",
	analyticsHelp: "Como você joga: sessões, fases, compras.",
	experiments: "Experimentos",
	experimentsHelp: "Testar novas versões do jogo e medi-las.",
	personalization: "Personalização",
	personalizationHelp: "Adaptar ofertas e conteúdo para você.",
};

/** Replacements for any of the prompt's strings (ConsentPromptOptions.texts). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a name of its own for the Luau twin and docs
export interface ConsentTextOverrides extends Partial<ConsentTexts> {}

/** The tables by language; "pt-br" before "pt" so Brazilian Portuguese is found first. */
const TABLES: Record<string, ConsentTexts> = { en: EN, de: DE, fr: FR, es: ES, "pt-br": PT_BR, pt: PT_BR };

/** The languages the prompt speaks (besides the English fallback). */
export const CONSENT_LANGUAGES = ["en", "de", "fr", "es", "pt-br"] as const;

/**
 * The strings for a Roblox locale id ("de-de", "pt-br", "en-us"): the exact locale's table, else its language's, else
 * English; then the game's overrides on top. Returns the language used with the texts.
 *
 * @example
 * consentTexts("pt-br").texts.acceptAll; // "Aceitar tudo"
 * consentTexts("ja-jp").language; // "en"
 */
export function consentTexts(
	locale: string,
	overrides?: ConsentTextOverrides,
): { language: string; texts: ConsentTexts } {
	const lower = locale.lower();
	let language = "en";
	if (TABLES[lower] !== undefined) language = lower;
	else {
		const [base] = lower.split("-");
		if (base !== undefined && TABLES[base] !== undefined) language = base;
	}
	const texts = { ...TABLES[language] };
	if (overrides !== undefined) {
		for (const [key, value] of pairs(overrides)) {
			if (
				typeIs(value, "string") &&
				value.size() > 0 &&
				(EN as unknown as Record<string, unknown>)[key] !== undefined
			) {
				(texts as unknown as Record<string, string>)[key] = value;
			}
		}
	}
	return { language: language === "pt" ? "pt-br" : language, texts };
}
