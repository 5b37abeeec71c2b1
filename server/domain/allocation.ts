// How a game's traffic is shared out beyond single experiments: its layers (namespaces whose experiments take
// disjoint slices), its global holdout, and when each adaptive experiment last ran its update. The contract every
// metadata engine implements (server/store/sqlite/allocation-store.ts); the rules live in layers.ts and holdout.ts.

/** A layer: a namespace of mutually exclusive experiments (an experiment's `namespace.id` names it). */
export interface LayerRecord {
	gameId: string;
	/** The namespace id experiments name; unique per game, never changes. */
	id: string;
	name: string;
	description: string;
	createdAt: number;
	updatedAt: number;
}

/** A game's global holdout: players whose UserId hashes below `percent` / 100 are kept out of every experiment. */
export interface HoldoutRecord {
	gameId: string;
	/** 0 to 50; 0 turns the holdout off. */
	percent: number;
	/** Hash seed (salt); a new seed holds out other players. */
	seed: string;
	createdAt: number;
	updatedAt: number;
}

/** When an adaptive experiment's update last ran (whether or not it moved the weights). */
export interface AdaptiveRun {
	gameId: string;
	experimentKey: string;
	/** Unix ms. */
	ranAt: number;
}

/** Layers, holdouts and adaptive run times of every game. */
export interface AllocationStore {
	/** A game's layers, by id. */
	listLayers(gameId: string): Promise<LayerRecord[]>;
	getLayer(gameId: string, id: string): Promise<LayerRecord | undefined>;
	/** Stores a new layer (its game must exist); false (nothing written) if the game already has one with this id. */
	insertLayer(layer: LayerRecord): Promise<boolean>;
	/** Replaces name, description and updatedAt; false if no such layer. */
	updateLayer(layer: LayerRecord): Promise<boolean>;
	deleteLayer(gameId: string, id: string): Promise<boolean>;

	/** The game's holdout; undefined when it never had one. */
	getHoldout(gameId: string): Promise<HoldoutRecord | undefined>;
	/** Creates or replaces the game's holdout (its game must exist). */
	putHoldout(holdout: HoldoutRecord): Promise<void>;

	/** Every adaptive run recorded, by game and key. */
	listAdaptiveRuns(): Promise<AdaptiveRun[]>;
	/** Records that an adaptive experiment's update ran at `run.ranAt`. */
	recordAdaptiveRun(run: AdaptiveRun): Promise<void>;
}
