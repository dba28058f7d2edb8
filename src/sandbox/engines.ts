// The engines this machine runs: wasm and js wherever lilypad runs, container where podman with runc works
// (docs/containers.md). A provider offers these, so the solver never hands it a job it would have to decline.
import { DEFAULT_ENGINES } from "../core/market/marketOrders.ts";
import type { ModuleEngine } from "../core/moduleManifest.ts";
import { podmanAvailability } from "./container/podman.ts";

export interface AvailableEngines {
  engines: ModuleEngine[];
  /** Why container is missing, when it is. */
  containerNote?: string;
}

export async function availableEngines(): Promise<AvailableEngines> {
  const podman = await podmanAvailability();
  return podman.ok ? { engines: [...DEFAULT_ENGINES, "container"] } : { engines: [...DEFAULT_ENGINES], containerNote: podman.reason };
}
