// Network and file-system isolation of sandbox children with bubblewrap, where it is installed and works.
import { spawnSync } from "node:child_process";

export interface Isolation {
  /** The command that starts a child: bwrap wrapping node, or node itself. */
  command: string;
  prefixArgs: string[];
  /** A line for the logs saying which isolation is in force. */
  description: string;
  isolated: boolean;
}

let probed: boolean | undefined;

/** Whether `bwrap` exists and can create namespaces here (it cannot in some containers). */
export function bubblewrapWorks(): boolean {
  probed ??= spawnSync("bwrap", ["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"], { stdio: "ignore", timeout: 5000 }).status === 0;
  return probed;
}

/**
 * The child sees the whole file system read-only (including /tmp, where a checkout and its Node may live), except
 * the writable roots (where the host makes each job's folders), with no network and its own process, IPC and hostname namespaces. The WASI guest itself only ever
 * sees its /inputs and /outputs preopens; bubblewrap is the second wall around the Node process running it.
 */
export function isolationFor(params: {
  writableRoot: string | readonly string[];
  /** Folders to show read-only that the file system's read-only view would hide (those under /dev, e.g. /dev/shm). */
  readOnlyRoot?: string | readonly string[];
  mode: "auto" | "bwrap" | "none";
}): Isolation {
  const writable = rootList(params.writableRoot);
  const readOnly = rootList(params.readOnlyRoot);
  const useBwrap = params.mode === "bwrap" || (params.mode === "auto" && bubblewrapWorks());
  if (!useBwrap) {
    return {
      command: process.execPath,
      prefixArgs: [],
      isolated: false,
      description: "sandbox: bubblewrap is not available, children run without network isolation (install bubblewrap)",
    };
  }
  return {
    command: "bwrap",
    prefixArgs: [
      "--unshare-all",
      "--die-with-parent",
      "--new-session",
      "--ro-bind", "/", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      ...readOnly.flatMap((root) => ["--ro-bind", root, root]),
      ...writable.flatMap((root) => ["--bind", root, root]),
      "--",
      process.execPath,
    ],
    isolated: true,
    description: "sandbox: children run under bubblewrap (no network, read-only file system)",
  };
}

function rootList(roots: string | readonly string[] | undefined): string[] {
  return roots === undefined ? [] : typeof roots === "string" ? [roots] : [...new Set(roots)];
}
