import type * as NodeSqlite from "node:sqlite";
import { LilypadError } from "./errors.ts";

/** Node's built-in SQLite has no flag from this release on. */
export const SQLITE_MIN_NODE = "22.13";

/** This Node has no built-in SQLite (older than 22.13): the roles need it for their stores. */
export class UnsupportedNodeError extends LilypadError {
  constructor() {
    super({
      code: "UNSUPPORTED_NODE",
      message: `lilypad needs Node.js >= ${SQLITE_MIN_NODE} (for node:sqlite); this is Node ${process.version}`,
      hint: "run it with Node 22: in a project that installed lilypad, `npx node your-script.js` uses the Node 22 it brought",
    });
    this.name = "UnsupportedNodeError";
  }
}

/**
 * node:sqlite, loaded when a store is opened rather than imported: the SDK then runs on an older Node, and an
 * application there that starts a role gets this error with its fix, instead of a link error.
 */
export function nodeSqlite(): typeof NodeSqlite {
  const sqlite = loadNodeSqlite();
  if (!sqlite) throw new UnsupportedNodeError();
  return sqlite;
}

/** Whether this Node has node:sqlite (without loading it twice: Node caches built-in modules). */
export function hasNodeSqlite(): boolean {
  return loadNodeSqlite() !== undefined;
}

function loadNodeSqlite(): typeof NodeSqlite | undefined {
  return process.getBuiltinModule?.("node:sqlite") as typeof NodeSqlite | undefined;
}
