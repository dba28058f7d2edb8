// The result folder's outputs/ as the host measures and cleans it, for the engines whose watchdogs live on the
// host (js and container).
import { lstatSync, readdirSync } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/** Total apparent size of the files under `dir` (what the output limit counts). */
export function directorySize(dir: string): number {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else {
        try {
          total += lstatSync(path).size;
        } catch {
          // removed meanwhile
        }
      }
    }
  }
  return total;
}

/**
 * Removes anything in outputs/ that is not a plain file or folder (a symlink, which the host would follow when it
 * reads the result, a hard link, a fifo or a device) before anyone reads the result. Returns the removed paths.
 */
export async function removeIrregularEntries(outputsDir: string): Promise<string[]> {
  const removed: string[] = [];
  const stack = [outputsDir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      const info = await stat(path).catch(() => undefined);
      const link = lstatSync(path);
      if (link.isDirectory()) stack.push(path);
      else if (!link.isFile() || link.nlink > 1 || !info) {
        await rm(path, { force: true });
        removed.push(relative(outputsDir, path).split(sep).join("/"));
      }
    }
  }
  return removed.sort();
}
