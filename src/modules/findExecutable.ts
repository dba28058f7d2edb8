// Looks a program up on a PATH, the way a shell does, without running it. The CLI passes its context's PATH, so
// tests can show what a user without a toolchain sees.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Every executable called `name` on `path`, in PATH order (there may be several, e.g. rustup's and Debian's rustc). */
export function findExecutables(name: string, path: string | undefined): string[] {
  const found: string[] = [];
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile() && !found.includes(candidate)) found.push(candidate);
    } catch {
      // not here
    }
  }
  return found;
}
