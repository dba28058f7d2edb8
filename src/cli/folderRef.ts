// Module references typed on the command line are relative to the command's working directory (ctx.cwd), which
// is not the process's when main() is driven in-process: a folder reference is made absolute against ctx.cwd.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { CliContext } from "./context.ts";

/** `ref` as an absolute path when it names a folder (starts with "." or "/", or is a directory), else unchanged. */
export function resolveFolderRef(ctx: CliContext, ref: string): string {
  const path = resolve(ctx.cwd, ref);
  if (ref.startsWith(".") || ref.startsWith("/")) return path;
  return existsSync(path) && statSync(path).isDirectory() ? path : ref;
}
