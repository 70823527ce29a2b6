// Holding one of the database's leases (db/leases.ts) from a process: taken when free, renewed in the background
// while held, and believed held only until its time would run out on this process's own clock. The local deadline
// counts from before the statement that took or renewed the lease was sent, so it always ends before the database
// lets another process take the lease: a process that stalls (a long pause, a lost connection) stops acting on the
// lease before anyone else starts.
import crypto from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { LeaseRepository } from '../../db/leases';
import type { Logger } from '../logging/logger';

export interface LeaseOptions {
  /** How long the lease lasts without a renewal: how long the others wait when its holder dies. */
  ttlMs: number;
  /** How often a process without the lease tries to take it (default a tenth of ttlMs, at most a second). */
  retryMs?: number;
  /** Kept off the local deadline, for the time between checking the lease and acting on it (default ttlMs / 10). */
  marginMs?: number;
}

/** Returns an owner id for this process: host, pid and a random part, so a restarted process is a new owner. */
export function processOwnerId(): string {
  return `${os.hostname()}/${process.pid}/${crypto.randomBytes(4).toString('hex')}`;
}

/** One process's hold on the lease `name`. */
export class Lease {
  /** performance.now() after which the lease is no longer believed held. */
  private validUntil = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private renewTimer: NodeJS.Timeout | undefined;
  private acquiring: Promise<boolean> | undefined;
  private renewing = false;
  /** Moves on at each release(), so an answer that arrives after it is not taken for a hold. */
  private generation = 0;
  private readonly retryMs: number;
  private readonly marginMs: number;

  constructor(
    private readonly leases: LeaseRepository,
    readonly name: string,
    readonly owner: string,
    private readonly logger: Logger,
    private readonly options: LeaseOptions,
  ) {
    this.retryMs = options.retryMs ?? Math.min(1000, options.ttlMs / 10);
    this.marginMs = options.marginMs ?? options.ttlMs / 10;
  }

  /** How many times this process took the lease (renewals not counted): a new value means a new tenure. */
  tenure = 0;

  /** True while the lease is surely this process's; check it right before acting on the lease. */
  holds(): boolean {
    return performance.now() < this.validUntil - this.marginMs;
  }

  /**
   * Resolves true when this process holds the lease, taking it if it is free. Without the lease it asks the
   * database at most once per retry interval, so calling this in a loop is cheap.
   */
  async acquire(): Promise<boolean> {
    if (this.holds()) return true;
    if (performance.now() - this.lastAttempt < this.retryMs) return false;
    this.acquiring ??= this.take().finally(() => {
      this.acquiring = undefined;
    });
    return this.acquiring;
  }

  /** Stops renewing and gives the lease back, so another process takes it over without waiting for it to expire. */
  async release(): Promise<void> {
    this.generation += 1;
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    this.validUntil = 0;
    // Given back even when not believed held: a renewal or a take may have reached the database just before.
    await this.acquiring?.catch(() => undefined);
    await this.leases.release(this.name, this.owner);
  }

  private async take(): Promise<boolean> {
    const generation = this.generation;
    this.lastAttempt = performance.now();
    const sent = performance.now();
    let taken: boolean;
    try {
      taken = await this.leases.acquire(this.name, this.owner, this.options.ttlMs);
    } catch (error) {
      this.logger.debug('lease: could not ask the database', { lease: this.name, error: (error as Error).message });
      return false;
    }
    if (!taken || generation !== this.generation) return false;
    this.validUntil = sent + this.options.ttlMs;
    this.tenure += 1;
    this.logger.info('lease taken', { lease: this.name, owner: this.owner });
    this.renewTimer ??= setInterval(() => void this.renew(), this.options.ttlMs / 3);
    this.renewTimer.unref();
    return true;
  }

  private async renew(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    const generation = this.generation;
    const sent = performance.now();
    try {
      const renewed = await this.leases.acquire(this.name, this.owner, this.options.ttlMs);
      if (generation !== this.generation) return;
      if (renewed) {
        this.validUntil = Math.max(this.validUntil, sent + this.options.ttlMs);
        return;
      }
      this.logger.warn('lease lost to another process', { lease: this.name, owner: this.owner });
    } catch (error) {
      // Still held until validUntil; the next renewal may succeed before then.
      if (performance.now() < this.validUntil) {
        this.logger.warn('lease: renewal failed; retrying', { lease: this.name, error: (error as Error).message });
        return;
      }
      this.logger.warn('lease expired: the database did not answer', { lease: this.name });
    } finally {
      this.renewing = false;
    }
    this.validUntil = 0;
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}
