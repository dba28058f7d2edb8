#!/usr/bin/env node
// The `lilypad` command. The CLI is TypeScript that Node runs directly (type stripping, Node >= 22.18).
if (!process.features.typescript) {
  process.stderr.write(`error: lilypad needs Node.js >= 22.18 (this is ${process.version})\n`);
  process.exit(1);
}
// The solver keeps its state in node:sqlite, which Node 22 still labels experimental on every start.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith("SQLite is an experimental feature")) return;
  emitWarning.call(process, warning, ...rest);
};
const { main } = await import("../src/cli/main.ts");
process.exit(await main(process.argv.slice(2)));
