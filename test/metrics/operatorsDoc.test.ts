// docs/operators.md says what the code does: its table of metrics is the registry's (names, types, labels), and the
// relay's metrics flags and default port are the CLI's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { CliContext } from "../../src/cli/context.ts";
import { RELAY_METRICS_PORT } from "../../src/cli/commands/roles.ts";
import { main } from "../../src/cli/main.ts";
import { createRoleMetrics } from "../../src/metrics/roleMetrics.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const DOC = readFileSync(join(REPO, "docs", "operators.md"), "utf8");

/** The rows of the doc's metrics table: `| \`name\` | type | labels | ...`. */
function documentedMetrics(): Map<string, { type: string; labels: string[] }> {
  const rows = new Map<string, { type: string; labels: string[] }>();
  for (const [, name = "", type = "", labels = ""] of DOC.matchAll(/^\| `(lilypad_[a-z_]+)` \| (\w+) \|([^|]*)\|/gm)) {
    rows.set(name, { type, labels: [...labels.matchAll(/`(\w+)`/g)].map((m) => m[1] ?? "").sort() });
  }
  return rows;
}

describe("docs/operators.md", () => {
  it("lists every metric a role exposes, with its type and labels, and no other", async () => {
    const documented = documentedMetrics();
    const registry = createRoleMetrics({ role: "solver" }).registry;
    const actual = new Map<string, { type: string; labels: string[] }>();
    for (const metric of registry.getMetricsAsArray()) {
      const { labelNames = [] } = metric as unknown as { labelNames?: string[] };
      actual.set(metric.name, { type: String(metric.type), labels: [...labelNames].sort() });
    }
    assert.ok(actual.size >= 9);
    assert.deepEqual([...documented.keys()].sort(), [...actual.keys()].sort());
    for (const [name, doc] of documented) assert.deepEqual(doc, actual.get(name), name);
  });

  it("names the relay's flags and default port as `lilypad jobcreator --help` does", async () => {
    let help = "";
    const ctx: CliContext = {
      stdout: (t) => (help += t),
      stderr: (t) => (help += t),
      env: {},
      homedir: "/nonexistent",
      cwd: REPO,
      waitForShutdown: () => new Promise(() => {}),
    };
    assert.equal(await main(["jobcreator", "--help"], ctx), 0);
    for (const flag of ["--metrics-host", "--metrics-port", "--no-metrics"]) {
      assert.ok(help.includes(flag), `jobcreator --help lists ${flag}`);
      assert.ok(DOC.includes(`\`${flag}`), `the doc names ${flag}`);
    }
    // The first default after the flag is its own (help wraps long lines).
    assert.match(help, new RegExp(`--metrics-port <port>[\\s\\S]*?\\(default: "${RELAY_METRICS_PORT}"\\)`));
    assert.ok(DOC.includes(`127.0.0.1:${RELAY_METRICS_PORT}`));
    assert.ok(readFileSync(join(REPO, "README.md"), "utf8").includes("](docs/operators.md)"), "the README links it");
  });
});
