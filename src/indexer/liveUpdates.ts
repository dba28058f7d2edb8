// Server-sent events for the dashboard: a `snapshot` when a viewer connects, then at most one `update` a second
// while the index moves, carrying the new overview and the deals that changed. Changes that come faster are
// coalesced, so a busy network costs each viewer one message a second, not one per block.
import type { ServerResponse } from "node:http";
import type { Hex } from "viem";
import type { LiveUpdate } from "../core/api/indexerApi.ts";

/** The most deals one update carries (the newest); the dashboard refetches its list for more. */
export const MAX_LIVE_DEALS = 50;
/** Viewers at once: each holds a socket. */
export const MAX_LIVE_VIEWERS = 500;
const HEARTBEAT_MS = 15_000;

export interface LiveUpdatesParameters {
  build: (changed: readonly Hex[]) => LiveUpdate;
  intervalMs?: number;
}

export class LiveUpdates {
  readonly #p: LiveUpdatesParameters;
  readonly #viewers = new Set<ServerResponse>();
  #changed = new Set<Hex>();
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(params: LiveUpdatesParameters) {
    this.#p = params;
    // A comment line now and then keeps proxies from closing an idle stream.
    this.#heartbeat = setInterval(() => this.#send(": keep-alive\n\n"), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** Starts a stream on `response`; false when too many viewers are connected. */
  attach(response: ServerResponse): boolean {
    if (this.#viewers.size >= MAX_LIVE_VIEWERS) return false;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      // Hijacked from fastify, so the API's hook does not run: the stream is as public as the rest of the API.
      "access-control-allow-origin": "*",
    });
    response.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(this.#p.build([]))}\n\n`);
    this.#viewers.add(response);
    response.on("close", () => this.#viewers.delete(response));
    return true;
  }

  /** The index moved: these deals changed. */
  changed(dealIds: readonly Hex[]): void {
    // Nobody watching: nothing to coalesce (a viewer who connects gets a fresh snapshot).
    if (this.#viewers.size === 0) return;
    for (const id of dealIds) this.#changed.add(id);
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#flush(), this.#p.intervalMs ?? 1_000);
  }

  close(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    for (const viewer of this.#viewers) viewer.end();
    this.#viewers.clear();
  }

  #flush(): void {
    this.#timer = undefined;
    if (!this.#dirty) return;
    const changed = [...this.#changed].slice(-MAX_LIVE_DEALS);
    this.#changed = new Set();
    this.#dirty = false;
    if (this.#viewers.size === 0) return;
    this.#send(`event: update\ndata: ${JSON.stringify(this.#p.build(changed))}\n\n`);
  }

  #send(chunk: string): void {
    for (const viewer of this.#viewers) viewer.write(chunk);
  }
}
