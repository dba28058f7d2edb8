// GroupCommit: writes of one burst commit together, once; another connection sees all of them or none; a commit
// that fails rolls the burst back and tells whoever waits on it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { nodeSqlite } from "../../src/core/nodeSqlite.ts";
import { GroupCommit } from "../../src/storage/groupCommit.ts";

const { DatabaseSync } = nodeSqlite();
const home = mkdtempSync(join(tmpdir(), "lilypad-group-commit-"));
after(() => rmSync(home, { recursive: true, force: true }));

let files = 0;
/** A writer and a reader connection on a fresh WAL database with table t(x). */
function open() {
  const path = join(home, `db-${files++}.sqlite`);
  const writer = new DatabaseSync(path);
  writer.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER)");
  const reader = new DatabaseSync(path);
  const seen = () => (reader.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n;
  return { writer, seen };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("GroupCommit", () => {
  it("commits the writes of one turn together at the next turn; the writer reads its own writes at once", async () => {
    const { writer, seen } = open();
    const commits = new GroupCommit(writer);
    const insert = writer.prepare("INSERT INTO t VALUES (?)");
    for (let i = 0; i < 3; i++) commits.write(() => insert.run(i));
    assert.equal((writer.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n, 3);
    assert.equal(seen(), 0, "nothing is visible before the commit");
    await commits.committed();
    assert.equal(seen(), 3);
  });

  it("with a window, gathers writes of several turns into one commit, made once the window has passed", async () => {
    const { writer, seen } = open();
    const commits = new GroupCommit(writer, { windowMs: 60 });
    const insert = writer.prepare("INSERT INTO t VALUES (?)");
    const started = performance.now();
    commits.write(() => insert.run(1));
    const first = commits.committed();
    await turn();
    commits.write(() => insert.run(2));
    await turn();
    assert.equal(seen(), 0, "the first write's turn has passed, but the window has not");
    assert.equal(commits.committed(), first, "the later write joined the same commit");
    await first;
    assert.ok(performance.now() - started >= 55, "committed no earlier than the window");
    assert.equal(seen(), 2);
  });

  it("rejects the waiters of a commit that fails, and leaves nothing of its burst", async () => {
    const { writer, seen } = open();
    writer.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
    writer.exec("PRAGMA foreign_keys = ON");
    const commits = new GroupCommit(writer);
    commits.write(() => writer.prepare("INSERT INTO t VALUES (1)").run());
    // A deferred foreign key is checked at COMMIT: the commit fails.
    commits.write(() => writer.prepare("INSERT INTO child VALUES (42)").run());
    await assert.rejects(commits.committed(), /FOREIGN KEY/);
    assert.equal(seen(), 0);
    assert.equal((writer.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n, 0, "rolled back");
  });
});
