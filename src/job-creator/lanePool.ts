// A creator's deal lanes: each holds one deal at a time, and its next offer needs a larger sequence number. The
// pool hands out free lanes to concurrent jobs and remembers the sequence numbers it used.
import type { ChainConnection } from "../chain/chainConnection.ts";
import { laneStatus } from "../chain/market/laneStatus.ts";
import { DealState } from "../core/dealTypes.ts";

export interface HeldLane {
  lane: number;
  seq: number;
  /** `settled`: this job's deal is known closed (or never opened), so the lane is free without asking the chain. */
  release(settled?: boolean): void;
}

export class LanePool {
  readonly #conn: ChainConnection;
  readonly #size: number;
  readonly #held = new Set<number>();
  /** The last sequence number this process used per lane. */
  readonly #lastSeq = new Map<number, number>();
  /** Lanes whose last deal this process saw settle: reusing them needs no chain read. */
  readonly #knownFree = new Set<number>();
  /** Lanes not to hand out before a time (ms): a revoked job may still wait in the solver's queue there. */
  readonly #restingUntil = new Map<number, number>();
  readonly #waiting: (() => void)[] = [];

  constructor(params: { conn: ChainConnection; size: number }) {
    this.#conn = params.conn;
    this.#size = params.size;
  }

  async acquire(): Promise<HeldLane> {
    for (;;) {
      for (let lane = 0; lane < this.#size; lane++) {
        if (this.#held.has(lane)) continue;
        const resting = this.#restingUntil.get(lane);
        if (resting !== undefined) {
          if (resting > Date.now()) continue;
          this.#restingUntil.delete(lane);
        }
        this.#held.add(lane);
        if (this.#knownFree.delete(lane)) {
          const seq = (this.#lastSeq.get(lane) ?? 0) + 1;
          this.#lastSeq.set(lane, seq);
          return { lane, seq, release: (settled) => this.#release(lane, settled) };
        }
        const status = await laneStatus(this.#conn, this.#conn.address, lane).catch((error: unknown) => {
          this.#held.delete(lane);
          throw error;
        });
        // Another process with the same key may be using the lane; then try the next one.
        if (status.state !== DealState.None && status.state !== DealState.Closed) {
          this.#held.delete(lane);
          continue;
        }
        const seq = Math.max(status.seq, this.#lastSeq.get(lane) ?? 0) + 1;
        this.#lastSeq.set(lane, seq);
        return { lane, seq, release: (settled) => this.#release(lane, settled) };
      }
      // Every lane is taken: wait for one of ours to be released, or look again shortly (another process's).
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }

  /** The lane's offers up to `seq` were revoked on chain: its next offer needs a larger number. */
  raiseSeq(lane: number, seq: number): void {
    this.#lastSeq.set(lane, Math.max(this.#lastSeq.get(lane) ?? 0, seq));
  }

  /**
   * Hands the lane out again only after `ms`: the solver keeps a job it was given in its lane's queue until the job's
   * match deadline, even once its offer is revoked, and refuses another job in that lane (LANE_BUSY) meanwhile.
   */
  rest(lane: number, ms: number): void {
    this.#restingUntil.set(lane, Math.max(this.#restingUntil.get(lane) ?? 0, Date.now() + ms));
  }

  #release(lane: number, settled = false): void {
    if (settled) this.#knownFree.add(lane);
    this.#held.delete(lane);
    this.#waiting.shift()?.();
  }
}
