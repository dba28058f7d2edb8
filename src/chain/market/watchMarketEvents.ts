// Follows the chain by polling block ranges from a cursor (watchBlocks), and the market's events that way
// (watchMarketEvents).
import { parseEventLogs, type Log } from "viem";
import type { Logger } from "../../core/logger.ts";
import { confirmationsOf } from "../../core/network.ts";
import type { ChainConnection } from "../chainConnection.ts";
import { lilypadMarketAbi } from "../generated/contracts.ts";

export type MarketEvent = ReturnType<typeof parseEventLogs<typeof lilypadMarketAbi>>[number];

/** A range of blocks to read, and the chain's head when it was chosen (the head minus the network's confirmations). */
export interface BlockRange {
  fromBlock: bigint;
  toBlock: bigint;
  head: { number: bigint; timestamp: bigint };
}

/**
 * Where a watcher stands, for a role's metrics: after it read the chain's head, after each range, and when a poll
 * failed. `head` is the newest block (not the confirmed one), so a caught-up role lags by the network's confirmations.
 */
export type ChainProgress = { reachable: true; head: bigint; lastRead: bigint } | { reachable: false };

export interface WatchBlocksParameters {
  /** The first block to read (default: the network's deploy block). */
  fromBlock?: bigint;
  /** Reads one range, in order. A throw means the chain could not be read: the same range is read again later. */
  read: (range: BlockRange) => Promise<void>;
  /** Called when the chain cannot be read, with the delay before the next try. */
  onError?: (error: unknown, retryInMs: number) => void;
  /** Called after an outage, once the chain answers again. */
  onRecovered?: () => void;
  /** Told where the watcher stands (see ChainProgress). */
  onProgress?: (progress: ChainProgress) => void;
  pollMs?: number;
  /** Most blocks per range. */
  maxRange?: bigint;
}

export interface BlockWatcher {
  /** The next block that will be read. */
  readonly cursor: bigint;
  /** Reads up to the chain's head as it is now, or later (resolves when done). */
  poll(): Promise<void>;
  /** Stops polling; resolves once a read under way has ended. */
  stop(): Promise<void>;
}

/**
 * The one loop every role follows the chain with: reads block ranges from a cursor up to the head, every `pollMs`;
 * on a network with confirmations, up to the head minus that many blocks.
 * A role that loses the chain keeps its cursor and, once the chain answers again, catches up on everything it
 * missed, in order; failures back off.
 */
/** What following the chain needs: reads only, no key. */
export type ChainReadAccess = Pick<ChainConnection, "network" | "publicClient">;

export function watchBlocks(conn: ChainReadAccess, params: WatchBlocksParameters): BlockWatcher {
  const pollMs = params.pollMs ?? (conn.network.chainId === 31337 ? 100 : 2000);
  const maxRange = params.maxRange ?? 5_000n;
  let cursor = params.fromBlock ?? BigInt(conn.network.deployBlock);
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const confirmations = BigInt(confirmationsOf(conn.network));
  const readOnce = async () => {
    // With confirmations, the head is the newest block that many blocks deep: a reorganisation of the blocks
    // above it is never acted on.
    const latest = await conn.publicClient.getBlock({ blockTag: "latest" });
    if (latest.number === null) return;
    const newest = latest.number;
    params.onProgress?.({ reachable: true, head: newest, lastRead: cursor - 1n });
    if (latest.number < confirmations) return;
    const block = confirmations === 0n ? latest : await conn.publicClient.getBlock({ blockNumber: latest.number - confirmations });
    if (block.number === null) return;
    const head = { number: block.number, timestamp: block.timestamp };
    while (cursor <= head.number && !stopped) {
      const toBlock = cursor + maxRange - 1n < head.number ? cursor + maxRange - 1n : head.number;
      await params.read({ fromBlock: cursor, toBlock, head });
      cursor = toBlock + 1n;
      params.onProgress?.({ reachable: true, head: newest, lastRead: toBlock });
    }
  };
  // A poll asked for while a read is under way gets a read of its own after it: the one under way may have taken
  // its head before what the caller is waiting for.
  let again: Promise<void> | undefined;
  const poll = (): Promise<void> => {
    if (running) {
      again ??= running.then(() => {
        again = undefined;
        return poll();
      });
      return again;
    }
    running = readOnce()
      .then(() => {
        if (failures > 0) params.onRecovered?.();
        failures = 0;
      })
      .catch((error: unknown) => {
        failures++;
        params.onProgress?.({ reachable: false });
        params.onError?.(error, backoff(failures, pollMs));
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const loop = async () => {
    if (stopped) return;
    await poll();
    if (!stopped) timer = setTimeout(loop, failures > 0 ? backoff(failures, pollMs) : pollMs);
  };
  void loop();
  return {
    get cursor() {
      return cursor;
    },
    poll,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

export interface WatchMarketEventsParameters extends Omit<WatchBlocksParameters, "read"> {
  /** Called with each range's events, in chain order. A throw is logged; the events are not read again. */
  onEvents: (events: MarketEvent[]) => void | Promise<void>;
}

export type MarketWatcher = BlockWatcher;

/** Follows every event of the market. */
export function watchMarketEvents(conn: ChainConnection, params: WatchMarketEventsParameters): MarketWatcher {
  return watchBlocks(conn, {
    ...params,
    read: async ({ fromBlock, toBlock }) => {
      const logs: Log[] = await conn.publicClient.getLogs({ address: conn.network.contracts.market, fromBlock, toBlock });
      const events = parseEventLogs({ abi: lilypadMarketAbi, logs });
      if (events.length === 0) return;
      try {
        await params.onEvents(events);
      } catch (error) {
        params.onError?.(error, 0);
      }
    },
  });
}

/** The outage callbacks every role passes: one warning per failed read (with the back-off), one line on recovery. */
export function logChainOutages(log: Logger): Pick<WatchMarketEventsParameters, "onError" | "onRecovered"> {
  return {
    onError: (error, retryInMs) => log.warn({ err: String(error), retryInMs }, "cannot read the chain; retrying"),
    onRecovered: () => log.info("chain reachable again"),
  };
}

/** Doubling delay from `base`, capped at 10 s, with jitter so restarted roles do not hammer the node together. */
export function backoff(failures: number, base: number): number {
  const delay = Math.min(10_000, base * 2 ** Math.min(failures, 10));
  return Math.round(delay * (0.75 + Math.random() * 0.5));
}
