// Background jobs that must run once across instances (adaptive updates, batch pruning, …) run on the instance that
// holds the job's lease in the metadata store (LeaseStore). Each instance renews the leases it holds, and tries to
// take the free ones, every third of the TTL; a job's timer runs its pass only while this instance holds the lease.
// A holder that dies (kill -9) stops renewing: its leases expire after the TTL and the next instance to try takes them
// over. A holder that stops cleanly releases them, so another instance takes over at its next renewal.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "../logger.js";
import type { LeaseStore } from "../store/contracts.js";

/** Default lease lifetime: how long a dead holder's jobs wait before another instance takes them over. */
export const JOB_LEASE_TTL_MS = 30_000;

/**
 * This process among the instances: host name, process id and random bytes (a restarted process, or a second
 * container with the same host name and pid 1, is a different holder).
 */
export function newInstanceId(): string {
	return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/** A job's view of its lease. */
export interface JobLease {
	readonly name: string;
	/** Whether this instance holds the lease now, so the job's pass may run here. */
	held(): boolean;
}

export interface JobLeasesOptions {
	leases: LeaseStore;
	/** This instance ({@link newInstanceId}). */
	instanceId: string;
	/** Lease lifetime; renewed every third of it. @default {@link JOB_LEASE_TTL_MS} */
	ttlMs?: number;
	/** Unix ms. @default Date.now */
	clock?: () => number;
	logger?: Logger;
}

interface Held {
	/** This instance's own deadline: the lease's `until` less a margin, so it stops a little before another may start. */
	until: number;
}

/**
 * The job leases of one instance.
 *
 * @example
 * const jobs = new JobLeases({ leases: store.leases, instanceId: newInstanceId(), logger });
 * const adaptive = startAdaptiveUpdates({ store, logger, clock: Date.now, lease: jobs.lease("adaptive-updates") });
 * jobs.start();
 * // shutdown: stop the jobs first, then
 * await jobs.stop();
 */
export class JobLeases {
	readonly #leases: LeaseStore;
	readonly #instanceId: string;
	readonly #ttlMs: number;
	readonly #clock: () => number;
	readonly #logger: Logger | undefined;
	readonly #names = new Set<string>();
	readonly #held = new Map<string, Held>();
	#timer: NodeJS.Timeout | undefined;
	#renewing: Promise<void> | undefined;
	#stopped = false;

	constructor(options: JobLeasesOptions) {
		this.#leases = options.leases;
		this.#instanceId = options.instanceId;
		this.#ttlMs = options.ttlMs ?? JOB_LEASE_TTL_MS;
		if (!(this.#ttlMs >= 300)) throw new Error("a job lease lasts at least 300 ms");
		this.#clock = options.clock ?? Date.now;
		this.#logger = options.logger;
	}

	get instanceId(): string {
		return this.#instanceId;
	}

	/** Registers the job `name` (renewed from the next round on) and returns its lease. */
	lease(name: string): JobLease {
		this.#names.add(name);
		return {
			name,
			held: () => {
				const held = this.#held.get(name);
				return held !== undefined && this.#clock() < held.until;
			},
		};
	}

	/** Takes (or renews) every registered lease now, then every third of the TTL. Resolves after the first round. */
	async start(): Promise<void> {
		if (this.#timer || this.#stopped) return;
		this.#timer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.#ttlMs / 3)));
		this.#timer.unref();
		await this.renew();
	}

	/** One round: tries every registered lease (never rejects; a store error is logged and the lease counts as lost). */
	renew(): Promise<void> {
		this.#renewing ??= (async () => {
			try {
				for (const name of this.#names) {
					if (this.#stopped) return;
					await this.#renewOne(name);
				}
			} finally {
				this.#renewing = undefined;
			}
		})();
		return this.#renewing;
	}

	/** The jobs this instance holds now (for logs and tests). */
	heldNames(): string[] {
		return [...this.#names].filter((name) => (this.#held.get(name)?.until ?? 0) > this.#clock());
	}

	/** Stops renewing and releases every lease held, so another instance takes the jobs over at once. */
	async stop(): Promise<void> {
		this.#stopped = true;
		clearInterval(this.#timer);
		await this.#renewing;
		for (const name of [...this.#held.keys()]) {
			this.#held.delete(name);
			await this.#leases.release(name, this.#instanceId).catch((error: unknown) => {
				this.#logger?.warn("job lease not released", { job: name, instanceId: this.#instanceId, error });
			});
		}
	}

	async #renewOne(name: string): Promise<void> {
		const now = this.#clock();
		const wasHeld = (this.#held.get(name)?.until ?? 0) > now;
		let acquired = false;
		try {
			acquired = await this.#leases.acquire(name, this.#instanceId, now, now + this.#ttlMs);
		} catch (error) {
			this.#logger?.warn("job lease renewal failed", { job: name, instanceId: this.#instanceId, error });
			// What was held stays held until its own deadline: the store may be back before then.
			return;
		}
		if (this.#stopped) {
			if (acquired) await this.#leases.release(name, this.#instanceId).catch(() => undefined);
			return;
		}
		if (acquired) {
			// A tenth of the TTL of margin: a renewal that returns late (a slow store) must not outlive the lease.
			this.#held.set(name, { until: now + this.#ttlMs - Math.ceil(this.#ttlMs / 10) });
			if (!wasHeld) this.#logger?.info("job lease acquired", { job: name, instanceId: this.#instanceId });
		} else {
			this.#held.delete(name);
			if (wasHeld) this.#logger?.warn("job lease lost", { job: name, instanceId: this.#instanceId });
		}
	}
}
