// Follows the market's events by polling logs from a block cursor. A role that loses the chain keeps its cursor
// and, once the chain answers again, catches up on everything it missed, in order; failures back off.
import { parseEventLogs, type Log } from "viem";
import type { Logger } from "../../core/logger.ts";
import type { ChainConnection } from "../chainConnection.ts";
import { lilypadMarketAbi } from "../generated/contracts.ts";

export type MarketEvent = ReturnType<typeof parseEventLogs<typeof lilypadMarketAbi>>[number];

export interface WatchMarketEventsParameters {
  /** The first block to read (default: the network's deploy block). */
  fromBlock?: bigint;
  /** Called with each batch of events, in chain order. A throw is logged; the batch is not retried. */
  onEvents: (events: MarketEvent[]) => void | Promise<void>;
  /** Called when the chain cannot be read, with the delay before the next try. */
  onError?: (error: unknown, retryInMs: number) => void;
  /** Called after an outage, once the chain answers again. */
  onRecovered?: () => void;
  pollMs?: number;
  /** Most blocks read per getLogs call. */
  maxRange?: bigint;
}

export interface MarketWatcher {
  /** The next block that will be read. */
  readonly cursor: bigint;
  /** Reads up to the chain's head now (resolves when done). */
  poll(): Promise<void>;
  stop(): void;
}

export function watchMarketEvents(conn: ChainConnection, params: WatchMarketEventsParameters): MarketWatcher {
  const pollMs = params.pollMs ?? (conn.network.chainId === 31337 ? 100 : 2000);
  const maxRange = params.maxRange ?? 5_000n;
  let cursor = params.fromBlock ?? BigInt(conn.network.deployBlock);
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const readOnce = async () => {
    const head = await conn.publicClient.getBlockNumber({ cacheTime: 0 });
    while (cursor <= head && !stopped) {
      const to = cursor + maxRange - 1n < head ? cursor + maxRange - 1n : head;
      const logs: Log[] = await conn.publicClient.getLogs({ address: conn.network.contracts.market, fromBlock: cursor, toBlock: to });
      cursor = to + 1n;
      const events = parseEventLogs({ abi: lilypadMarketAbi, logs });
      if (events.length > 0) {
        try {
          await params.onEvents(events);
        } catch (error) {
          params.onError?.(error, 0);
        }
      }
    }
  };
  const poll = () => {
    running ??= readOnce()
      .then(() => {
        if (failures > 0) params.onRecovered?.();
        failures = 0;
      })
      .catch((error: unknown) => {
        failures++;
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
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
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
