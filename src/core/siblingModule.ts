import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The path of a module beside the caller, with the caller's own extension: `.ts` when Node runs the sources of a
 * checkout, `.js` when it runs the compiled package. For entries started as child processes.
 */
export function siblingModulePath(callerUrl: string, baseName: string): string {
  const caller = fileURLToPath(callerUrl);
  return join(dirname(caller), `${baseName}${extname(caller)}`);
}
