// Finds Foundry's anvil, the dev chain's node, in the platform package npm installed beside lilypad.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { AnvilNotFoundError } from "../core/errors.ts";

/** The optional dependency that carries anvil for each `${process.platform}-${process.arch}`. */
export const ANVIL_PACKAGES: Readonly<Record<string, string>> = {
  "linux-x64": "@foundry-rs/anvil-linux-amd64",
  "linux-arm64": "@foundry-rs/anvil-linux-arm64",
  "darwin-x64": "@foundry-rs/anvil-darwin-amd64",
  "darwin-arm64": "@foundry-rs/anvil-darwin-arm64",
  "win32-x64": "@foundry-rs/anvil-win32-amd64",
};

export interface ResolveAnvilBinaryParameters {
  /** Defaults to process.platform. */
  platform?: string;
  /** Defaults to process.arch. */
  arch?: string;
}

/**
 * The absolute path of the anvil binary for this platform, from its package's `bin` field (so anvil.exe on
 * windows needs no special case). Throws AnvilNotFoundError when the platform has no package or npm skipped it.
 */
export function resolveAnvilBinary(params: ResolveAnvilBinaryParameters = {}): string {
  const platform = `${params.platform ?? process.platform}-${params.arch ?? process.arch}`;
  const name = ANVIL_PACKAGES[platform];
  if (!name) throw new AnvilNotFoundError({ platform, reason: "Foundry publishes no anvil package for it" });
  let manifestPath: string;
  try {
    manifestPath = createRequire(import.meta.url).resolve(`${name}/package.json`);
  } catch (error) {
    throw new AnvilNotFoundError({ platform, reason: `${name} is not installed`, cause: error });
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.anvil;
  if (!bin) throw new AnvilNotFoundError({ platform, reason: `${name} names no anvil binary` });
  return join(dirname(manifestPath), bin);
}
