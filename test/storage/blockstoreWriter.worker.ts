// Test worker: writes `count` distinct raw blocks, tagged by `tag`, into the block store file it is given, in
// batches of `batch` puts at a time (a separate SQLite connection in a separate thread, as another process would be).
import { parentPort, workerData } from "node:worker_threads";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { SqliteBlockstore } from "../../src/storage/sqliteBlockstore.ts";

const { file, tag, count, batch } = workerData as { file: string; tag: string; count: number; batch: number };
const store = new SqliteBlockstore({ file });
try {
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, i) => {
        const bytes = new TextEncoder().encode(`${tag} block ${start + i}`);
        await store.put(CID.createV1(raw.code, await sha256.digest(bytes)), bytes);
      }),
    );
  }
  parentPort?.postMessage({ ok: true });
} catch (error) {
  parentPort?.postMessage({ ok: false, error: String(error) });
} finally {
  store.close();
}
