// Host half of the emulated MarketplaceService (Luau half: ../lua/services/marketplace.luau). The catalog (developer
// products and passes), pass ownership and every developer product receipt live here, in Node, so several server VMs
// of one experience can share them: pass one MarketplaceBackend to each through VmOptions.config.marketplace (a plain
// MarketplaceConfig gives the VM a private backend), e.g.
//
//   const market = new MarketplaceBackend({ products: { 1001: { name: "Gems", price: 50 } } });
//   const world = await World.create({ config: { marketplace: market } });
//   await world.addPlayer({ userId: 7, name: "ann" });
//   await world.marketplace.buy(7, 1001); // a purchase without a prompt: ProcessReceipt runs on the server
//
// Receipts stay unresolved until a server's ProcessReceipt returns PurchaseGranted for them; a server that a player
// joins processes that player's unresolved receipts, even when they were bought on another server of the backend
// (Roblox: "The user re-joins any server under the same experience").
//
// Control (prompts, purchases) goes to the server VM's Luau half through marketplaceOf(vmOrWorld) / world.marketplace.
// Luau calls the backend through two synchronous host functions (mpAttach, mpCall); values cross as JSON text.
import { randomUUID } from "node:crypto";
import type { RobloxVm, ServicePlugin } from "../vm.js";

/** A developer product (Roblox: Creator Dashboard → Monetization → Developer Products). */
export interface ProductSpec {
	name: string;
	/** Price in Robux: the receipt's CurrencySpent and GetProductInfo's PriceInRobux. */
	price: number;
	description?: string;
	iconImageAssetId?: number;
	/** Default true. A prompt for a product not for sale errors (PromptProductPurchaseFinished with false). */
	forSale?: boolean;
}

/** A pass (game pass). */
export interface PassSpec extends ProductSpec {
	/** UserIds that own the pass from the start. */
	owners?: number[];
}

export type PromptAnswer = "buy" | "cancel";
export type PurchaseChannel = "InExperience" | "ExperienceDetailsPage" | "AdReward" | "CommerceProduct";

/** VmOptions.config.marketplace: the catalog and how prompts are answered. */
export interface MarketplaceConfig {
	/** Developer products by id. */
	products?: Record<number, ProductSpec>;
	/** Passes by id. */
	passes?: Record<number, PassSpec>;
	/** Answer every purchase prompt this way, `promptSeconds` after it opens (default: prompts wait for respond()). */
	autoRespond?: PromptAnswer;
	/** Virtual seconds an auto-answered prompt stays open (default 0: it closes at the next frame). */
	promptSeconds?: number;
	/**
	 * Not Roblox: also call ProcessReceipt again this many virtual seconds after it did not grant a receipt, while the
	 * player stays. Roblox documents no time-based retry (the default: off).
	 */
	retrySeconds?: number;
	/** Virtual seconds GetProductInfo / UserOwnsGamePassAsync take (default 0: they still yield one frame). */
	latency?: number;
	/** How long UserOwnsGamePassAsync remembers an answer (default: until the user joins a server again). */
	passCacheSeconds?: number;
}

/** One call of ProcessReceipt for a receipt. */
export interface ReceiptAttempt {
	/** The VM (server) that called it. */
	vm: string;
	outcome: "PurchaseGranted" | "NotProcessedYet" | "error";
	/** The error message, for outcome "error". */
	error?: string;
	/** Unix milliseconds of that VM's clock when the callback returned. */
	at: number;
}

/** A developer product purchase. */
export interface ReceiptRecord {
	purchaseId: string;
	userId: number;
	productId: number;
	/** CurrencySpent: the product's price when it was bought. */
	price: number;
	placeId: number;
	channel: PurchaseChannel;
	/** Unix milliseconds of the purchasing VM's clock. */
	createdAt: number;
	/** "granted" once a ProcessReceipt call returned PurchaseGranted; never processed again after that. */
	status: "unresolved" | "granted";
	attempts: ReceiptAttempt[];
}

/** A purchase prompt waiting for an answer (respond()). */
export interface PendingPrompt {
	userId: number;
	kind: "product" | "pass";
	id: number;
	/** Virtual seconds (the server VM's clock) when it opened. */
	openedAt: number;
}

const CHANNELS: PurchaseChannel[] = ["InExperience", "ExperienceDetailsPage", "AdReward", "CommerceProduct"];

function checkSpec(kind: string, id: number, spec: ProductSpec): void {
	if (!Number.isInteger(id) || id <= 0) throw new Error(`marketplace: ${kind} id ${id} must be a positive integer`);
	if (typeof spec?.name !== "string") throw new Error(`marketplace: ${kind} ${id} needs a name`);
	if (!Number.isFinite(spec.price) || spec.price < 0) throw new Error(`marketplace: ${kind} ${id} needs a price >= 0`);
}

/** The experience's catalog, pass ownership and receipts. */
export class MarketplaceBackend {
	readonly products = new Map<number, ProductSpec>();
	readonly passes = new Map<number, PassSpec>();
	/** Settings every VM attached to this backend reads at boot (the catalog is read on every use). */
	readonly settings: Omit<MarketplaceConfig, "products" | "passes">;
	private readonly owners = new Map<number, Set<number>>();
	private readonly all: ReceiptRecord[] = [];
	private readonly byId = new Map<string, ReceiptRecord>();

	constructor(config: MarketplaceConfig = {}) {
		const { products, passes, ...settings } = config;
		this.settings = settings;
		for (const [id, spec] of Object.entries(products ?? {})) this.setProduct(Number(id), spec);
		for (const [id, spec] of Object.entries(passes ?? {})) {
			this.setPass(Number(id), spec);
			for (const userId of spec.owners ?? []) this.grantPass(userId, Number(id));
		}
	}

	setProduct(id: number, spec: ProductSpec): void {
		checkSpec("product", id, spec);
		this.products.set(id, { ...spec });
	}

	setPass(id: number, spec: PassSpec): void {
		checkSpec("pass", id, spec);
		this.passes.set(id, { ...spec });
	}

	/** Gives a user a pass (a purchase outside the experience, or a test's starting state). */
	grantPass(userId: number, passId: number): void {
		let set = this.owners.get(passId);
		if (!set) this.owners.set(passId, (set = new Set()));
		set.add(userId);
	}

	/** Takes a pass away (the user deleted it from their inventory). */
	revokePass(userId: number, passId: number): void {
		this.owners.get(passId)?.delete(userId);
	}

	owns(userId: number, passId: number): boolean {
		return this.owners.get(passId)?.has(userId) ?? false;
	}

	/** Receipts in purchase order (copies), optionally of one user. */
	receipts(userId?: number): ReceiptRecord[] {
		return this.all
			.filter((r) => userId === undefined || r.userId === userId)
			.map((r) => ({ ...r, attempts: r.attempts.map((a) => ({ ...a })) }));
	}

	/** Receipts of a user that no ProcessReceipt call has granted yet. */
	unresolved(userId: number): ReceiptRecord[] {
		return this.receipts(userId).filter((r) => r.status === "unresolved");
	}

	/** A purchase of a developer product: a new unresolved receipt with a unique PurchaseId. */
	purchase(userId: number, productId: number, placeId: number, channel: PurchaseChannel, at: number): ReceiptRecord {
		const product = this.products.get(productId);
		if (!product) throw new Error(`marketplace: unknown developer product ${productId}`);
		if (!Number.isInteger(userId) || userId <= 0) throw new Error("marketplace: userId must be a positive integer");
		if (!CHANNELS.includes(channel)) throw new Error(`marketplace: unknown purchase channel ${String(channel)}`);
		const record: ReceiptRecord = {
			purchaseId: randomUUID(),
			userId,
			productId,
			price: product.price,
			placeId,
			channel,
			createdAt: at,
			status: "unresolved",
			attempts: [],
		};
		this.all.push(record);
		this.byId.set(record.purchaseId, record);
		return record;
	}

	/** Records what a ProcessReceipt call returned; PurchaseGranted resolves the receipt for good. */
	recordAttempt(purchaseId: string, attempt: ReceiptAttempt): void {
		const record = this.byId.get(purchaseId);
		if (!record) throw new Error(`marketplace: unknown purchase ${purchaseId}`);
		record.attempts.push(attempt);
		if (attempt.outcome === "PurchaseGranted") record.status = "granted";
	}

	/** Luau's requests (mpCall): one operation, arguments and result as JSON. */
	call(vm: RobloxVm, op: string, args: Record<string, unknown>): unknown {
		const n = (key: string) => Number(args[key]);
		switch (op) {
			case "product": {
				const spec = this.products.get(n("id"));
				return spec ? { ...spec, forSale: spec.forSale !== false } : null;
			}
			case "pass": {
				const spec = this.passes.get(n("id"));
				return spec ? { ...spec, owners: undefined, forSale: spec.forSale !== false } : null;
			}
			case "owns":
				return this.owns(n("userId"), n("id"));
			case "grantPass":
				if (!this.passes.has(n("id"))) throw new Error(`marketplace: unknown pass ${n("id")}`);
				this.grantPass(n("userId"), n("id"));
				return true;
			case "purchase":
				return this.purchase(n("userId"), n("id"), n("placeId"), args.channel as PurchaseChannel, n("at"));
			case "unresolved":
				return this.unresolved(n("userId")).map(({ attempts: _, ...r }) => r);
			case "attempt":
				this.recordAttempt(String(args.purchaseId), {
					vm: vm.name,
					outcome: args.outcome as ReceiptAttempt["outcome"],
					...(typeof args.error === "string" ? { error: args.error } : {}),
					at: n("at"),
				});
				return true;
		}
		throw new Error(`marketplace: unknown operation ${op}`);
	}
}

/** The MarketplaceBackend a VM uses (the one passed in config.marketplace, or its private one). */
export function marketplaceBackendOf(vm: RobloxVm): MarketplaceBackend {
	let b = vm.data.get("marketplace") as MarketplaceBackend | undefined;
	if (!b) {
		b = new MarketplaceBackend();
		vm.data.set("marketplace", b);
	}
	return b;
}

/** Drives the marketplace of a server VM (a World's server, or a lone server RobloxVm) from the host. */
export class MarketplaceControl {
	constructor(readonly vm: RobloxVm) {}

	get backend(): MarketplaceBackend {
		return marketplaceBackendOf(this.vm);
	}

	/**
	 * Answers the oldest open purchase prompt of a player, as the player clicking Buy or Cancel. Returns false when the
	 * player has no open prompt. In a World the events reach clients when the world next advances.
	 */
	async respond(userId: number, answer: PromptAnswer): Promise<boolean> {
		return (await this.vm.callH("marketplaceRespond", userId, answer)) === true;
	}

	/** The purchase prompts waiting for an answer, oldest first. */
	async prompts(): Promise<PendingPrompt[]> {
		return JSON.parse((await this.vm.callH("marketplacePromptsJson")) as string) as PendingPrompt[];
	}

	/**
	 * From now on answer prompts automatically (for one player, or by default for everyone); undefined: prompts wait
	 * for respond() again. Prompts already open are answered too.
	 */
	async autoRespond(answer: PromptAnswer | undefined, userId?: number): Promise<void> {
		await this.vm.callH("marketplaceAutoRespond", answer ?? "", userId ?? 0);
	}

	/**
	 * A player buys a developer product now, without a prompt (a simulation's purchase, or a Store-tab purchase with
	 * channel "ExperienceDetailsPage"): a new receipt, processed by ProcessReceipt at once if the player is on this
	 * server, else when they join one. Returns the PurchaseId.
	 */
	async buy(userId: number, productId: number, channel: PurchaseChannel = "InExperience"): Promise<string> {
		return (await this.vm.callH("marketplaceBuy", userId, productId, channel)) as string;
	}

	/** A player buys a pass now, without a prompt: they own it (no ProcessReceipt, no prompt event). */
	async buyPass(userId: number, passId: number): Promise<void> {
		await this.vm.callH("marketplaceBuyPass", userId, passId);
	}

	/** The receipts of the backend (all, or one user's), with every ProcessReceipt attempt. */
	receipts(userId?: number): ReceiptRecord[] {
		return this.backend.receipts(userId);
	}
}

/** The marketplace control of a lone server RobloxVm or of a World (its server VM). */
export function marketplaceOf(target: RobloxVm | { server: RobloxVm }): MarketplaceControl {
	return new MarketplaceControl("server" in target ? target.server : target);
}

export const marketplacePlugin: ServicePlugin = {
	name: "marketplace",
	host: (vm) => ({
		// Called once by marketplace.luau with config.marketplace (a JS object passes through Luau unchanged); returns
		// the settings as JSON.
		mpAttach: (config: unknown) => {
			if (config instanceof MarketplaceBackend) vm.data.set("marketplace", config);
			else if (config != null && typeof config === "object") {
				vm.data.set("marketplace", new MarketplaceBackend(config as MarketplaceConfig));
			} else if (config != null)
				throw new Error("config.marketplace must be a MarketplaceConfig or MarketplaceBackend");
			return JSON.stringify(marketplaceBackendOf(vm).settings);
		},
		// Returns {"ok": result} or {"error": message}: an exception must not cross into Luau.
		mpCall: (op: string, argsJson: string) => {
			try {
				const result = marketplaceBackendOf(vm).call(vm, op, JSON.parse(argsJson) as Record<string, unknown>);
				return JSON.stringify({ ok: result ?? null });
			} catch (err) {
				return JSON.stringify({ error: err instanceof Error ? err.message : String(err) });
			}
		},
	}),
};
