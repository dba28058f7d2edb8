// The faucet's memory of whom it funded and when: a small JSON file ($LILYPAD_HOME/faucet.json), keyed by chain id,
// the chain's genesis block hash (a restarted devnet is a new chain with the same id) and the address.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Address, Hex } from "viem";
import { z } from "zod";

/** How long an address waits between two grants on one chain. */
export const FAUCET_INTERVAL_MS = 24 * 60 * 60 * 1000;

const ledgerSchema = z.object({
  version: z.literal(1),
  /** Key → when the address was last funded (ms since the epoch). */
  grants: z.record(z.string(), z.object({ at: z.number().int().nonnegative() })),
});
type Ledger = z.output<typeof ledgerSchema>;

export interface FaucetGrantKey {
  chainId: number;
  genesisHash: Hex;
  address: Address;
}

const keyOf = (k: FaucetGrantKey) => `${k.chainId}:${k.genesisHash.toLowerCase()}:${k.address.toLowerCase()}`;

function read(file: string): Ledger {
  if (!existsSync(file)) return { version: 1, grants: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    json = undefined;
  }
  const parsed = ledgerSchema.safeParse(json);
  // A damaged ledger forgets its grants rather than stopping the faucet: it is a courtesy limit, not a security one.
  return parsed.success ? parsed.data : { version: 1, grants: {} };
}

/** When `key` may be funded again; undefined when it may be now. */
export function nextGrantAt(file: string, key: FaucetGrantKey, now: number): number | undefined {
  const last = read(file).grants[keyOf(key)];
  if (!last) return undefined;
  const next = last.at + FAUCET_INTERVAL_MS;
  return next > now ? next : undefined;
}

/** Remembers that `key` was funded at `now` (the file is replaced whole, never half written). */
export function recordGrant(file: string, key: FaucetGrantKey, now: number): void {
  const ledger = read(file);
  ledger.grants[keyOf(key)] = { at: now };
  // Grants older than the interval are of no use any more.
  for (const [k, grant] of Object.entries(ledger.grants)) if (grant.at + FAUCET_INTERVAL_MS <= now) delete ledger.grants[k];
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(ledger, null, 2)}\n`);
  renameSync(temporary, file);
}
