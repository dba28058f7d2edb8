// Container module images: the recipe (image.json), the OCI archive reader, and with mmdebstrap and podman
// installed a real build from Debian's packages (cached by content), packaged and loaded back out of the store.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildModule } from "../../src/modules/buildModule.ts";
import { buildContainerImage } from "../../src/modules/container/buildContainerImage.ts";
import { ImageRecipeError } from "../../src/modules/container/errors.ts";
import { OciArchiveError } from "../../src/storage/errors.ts";
import { parseImageRecipe, readImageRecipe } from "../../src/modules/container/imageRecipe.ts";
import { readOciImage } from "../../src/storage/ociArchive.ts";
import { TAR_END, tarEntryBytes } from "../../src/storage/tar.ts";
import { findExecutables } from "../../src/modules/findExecutable.ts";
import { loadModule } from "../../src/modules/loadModule.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";

const sha = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");

describe("image recipes", () => {
  it("accepts a recipe and sorts its packages", () => {
    const recipe = parseImageRecipe({ debian: { suite: "bookworm", packages: ["python3-sklearn", "python3-minimal"] }, files: { "/app/train.py": "train.py" } });
    assert.deepEqual(recipe.debian.packages, ["python3-minimal", "python3-sklearn"]);
    assert.equal(recipe.debian.mirror, "http://deb.debian.org/debian");
  });

  const refused: [string, unknown, RegExp][] = [
    ["a missing suite", { debian: { packages: [] } }, /debian\.suite: /],
    ["a package name with a shell in it", { debian: { suite: "bookworm", packages: ["cowsay;rm -rf /"] } }, /debian\.packages\.0: a Debian package name/],
    ["an option as a package", { debian: { suite: "bookworm", packages: ["--allow-unauthenticated"] } }, /debian\.packages\.0/],
    ["a relative image path", { debian: { suite: "bookworm" }, files: { "app/x.py": "x.py" } }, /files\.app\/x\.py: an absolute path in the image/],
    ["'..' in an image path", { debian: { suite: "bookworm" }, files: { "/app/../etc/passwd": "x.py" } }, /files\.\/app\/\.\.\/etc\/passwd: (an absolute path|no '\.')/],
    ["a file from outside the folder", { debian: { suite: "bookworm" }, files: { "/app/x": "../secret" } }, /files\.\/app\/x: (a path relative|no '\.')/],
    ["an unknown field", { debian: { suite: "bookworm" }, run: ["make"] }, /Unrecognized key/],
    ["a mirror that is not http", { debian: { suite: "bookworm", mirror: "file:///etc" } }, /debian\.mirror: an http\(s\) URL/],
  ];
  for (const [what, raw, message] of refused) {
    it(`refuses ${what}, naming the field`, () => {
      assert.throws(() => parseImageRecipe(raw, "x/image.json"), (error: unknown) => {
        assert.ok(error instanceof ImageRecipeError);
        assert.match(error.message, /^x\/image\.json: /);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it("refuses a recipe whose file is not in the folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lilypad-recipe-"));
    try {
      await writeFile(join(dir, "image.json"), JSON.stringify({ debian: { suite: "bookworm" }, files: { "/app/main.py": "main.py" } }));
      await assert.rejects(readImageRecipe(dir), /files\.\/app\/main\.py: main\.py is not in the folder/);
      await writeFile(join(dir, "image.json"), "{ not json");
      await assert.rejects(readImageRecipe(dir), /image\.json: not JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("OCI archives", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "lilypad-oci-"));
  });
  after(async () => await rm(dir, { recursive: true, force: true }));

  /** A minimal OCI archive (one empty layer) written with our own tar writer. */
  async function archive(name: string, tamper?: (blobs: Map<string, Buffer>) => void): Promise<{ path: string; config: string; manifest: string }> {
    const layer = Buffer.concat([TAR_END]);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [`sha256:${sha(layer)}`] } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${sha(config)}`, size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${sha(layer)}`, size: layer.length }],
    }));
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${sha(manifest)}`, size: manifest.length }] }));
    const blobs = new Map([[sha(layer), layer], [sha(config), config], [sha(manifest), manifest]]);
    tamper?.(blobs);
    const parts = [tarEntryBytes({ name: "oci-layout", content: Buffer.from('{"imageLayoutVersion": "1.0.0"}'), mode: 0o644, mtime: 0 }),
      tarEntryBytes({ name: "index.json", content: index, mode: 0o644, mtime: 0 }),
      tarEntryBytes({ name: "blobs/", mode: 0o755, mtime: 0 }), tarEntryBytes({ name: "blobs/sha256/", mode: 0o755, mtime: 0 })];
    for (const [digest, bytes] of blobs) parts.push(tarEntryBytes({ name: `blobs/sha256/${digest}`, content: bytes, mode: 0o644, mtime: 0 }));
    const path = join(dir, name);
    await writeFile(path, Buffer.concat([...parts, TAR_END]));
    return { path, config: `sha256:${sha(config)}`, manifest: `sha256:${sha(manifest)}` };
  }

  it("reads the image ID (the config's digest) and the manifest digest from the tar", async () => {
    const a = await archive("good.oci.tar");
    const info = await readOciImage(a.path);
    assert.equal(info.image, a.config);
    assert.equal(info.manifestDigest, a.manifest);
    assert.equal(info.layers.length, 1);
  });

  it("refuses a blob that does not match its digest, and a file that is not a tar", async () => {
    const a = await archive("bad.oci.tar", (blobs) => {
      for (const [digest, bytes] of blobs) if (bytes.includes("architecture")) blobs.set(digest, Buffer.from(bytes.toString().replace("amd64", "arm64")));
    });
    await assert.rejects(readOciImage(a.path), (error: unknown) => error instanceof OciArchiveError && /does not match its digest/.test(error.message));
    // A config blob of 5 MiB: refused by its size before it is read or hashed.
    const huge = await archive("huge.oci.tar", (blobs) => {
      const [digest, bytes] = [...blobs].find(([, b]) => b.includes("architecture"))!;
      blobs.set(digest, Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from(`,"pad":"${"x".repeat(5 << 20)}"}`)]));
    });
    await assert.rejects(readOciImage(huge.path), (error: unknown) => error instanceof OciArchiveError && /more than the \d+ an image's JSON needs/.test(error.message));
    const junk = join(dir, "junk.tar");
    await writeFile(junk, Buffer.alloc(2048, 7));
    await assert.rejects(readOciImage(junk), /not a tar file/);
  });
});

const missing = [
  ["mmdebstrap", "mmdebstrap"],
  ["podman", "podman"],
  ["runc", "runc"],
].filter(([tool]) => findExecutables(tool!, process.env.PATH).length === 0 && findExecutables(tool!, "/usr/sbin:/sbin").length === 0);
const skip = missing.length > 0 ? `needs ${missing.map(([t]) => t).join(", ")}: sudo apt-get install ${missing.map(([, p]) => p).join(" ")}` : false;

describe("a container image built from Debian packages", { skip, timeout: 15 * 60_000 }, () => {
  let root: string;
  let dir: string;
  let blockstore: Blockstore;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "lilypad-image-"));
    dir = join(root, "cowsay");
    mkdirSync(dir);
    // The shipped cowsay-lilypad recipe: built once into the user's image cache (scripts/build-images.ts does too).
    copyFileSync(new URL("../../modules/cowsay-lilypad/image.json", import.meta.url), join(dir, "image.json"));
    await writeFile(join(dir, "manifest.json"), JSON.stringify({
      manifestVersion: 1, name: "cowsay-container", version: "v1", description: "cowsay", author: "test", engine: "container",
      inputs: [{ name: "Message", type: "string", default: "hi" }], invocation: { args: ["/usr/games/cowsay", "{{Message}}"] },
      deterministic: true, pricing: "per-run",
    }));
    blockstore = await createBlockstore({ path: join(root, "blocks") });
  });
  after(async () => await rm(root, { recursive: true, force: true }));

  it("builds once, then again from the cache (no mmdebstrap, no podman): the same archive bytes and image ID", async () => {
    const lines: string[] = [];
    const first = await buildContainerImage({ dir, onProgress: (l) => lines.push(l) });
    assert.match(first.image, /^sha256:[0-9a-f]{64}$/);
    const firstBytes = sha(readFileSync(first.archivePath));
    await rm(join(dir, "build"), { recursive: true });
    const again: string[] = [];
    const second = await buildContainerImage({ dir, onProgress: (l) => again.push(l) });
    assert.equal(second.source, "cached");
    assert.deepEqual(again.filter((l) => /mmdebstrap|podman/.test(l)), [], "nothing was built again");
    assert.equal(second.image, first.image);
    assert.equal(sha(readFileSync(second.archivePath)), firstBytes);
  });

  it("packageModule names the archive by CID and its image ID, which is what podman load reports", async () => {
    const packaged = await packageModule({ dir, blockstore });
    const info = await readOciImage(join(dir, "build", "image.oci.tar"));
    assert.equal(packaged.manifest.artifact.image, info.image);
    assert.match(packaged.manifest.artifact.cid, /^bafy/);
    const before = execFileSync("podman", ["images", "--quiet", "--no-trunc"], { encoding: "utf8" });
    const loaded = execFileSync("podman", ["load", "--input", join(dir, "build", "image.oci.tar")], { encoding: "utf8" });
    try {
      assert.match(loaded, new RegExp(`Loaded image: ${info.image}`));
    } finally {
      // Only an image this test added is removed: another process may be using one that was there before.
      if (!before.includes(info.image)) execFileSync("podman", ["rmi", "--force", info.image], { stdio: "ignore" });
    }
  });

  it("loadModule writes the archive out of the store and returns it with the image ID, reusing a complete file", async () => {
    const packaged = await packageModule({ dir, blockstore });
    const artifactsDir = join(root, "artifacts");
    const loaded = await loadModule({ cid: packaged.cid, blockstore, artifactsDir });
    assert.equal(loaded.artifact.engine, "container");
    if (loaded.artifact.engine !== "container") return;
    assert.equal(loaded.artifact.archivePath, join(artifactsDir, `${packaged.manifest.artifact.cid}.oci.tar`));
    assert.equal(loaded.artifact.image, packaged.manifest.artifact.image);
    assert.equal(sha(readFileSync(loaded.artifact.archivePath)), sha(readFileSync(join(dir, "build", "image.oci.tar"))));
    const again = await loadModule({ cid: packaged.cid, blockstore, artifactsDir });
    assert.deepEqual(again.artifact, loaded.artifact);
    assert.ok(existsSync(loaded.artifact.archivePath));
  });

  it("a Lilypad-format folder with a recipe: the build points its template at the image it built, then packages it", async () => {
    const lilypadDir = join(root, "cowsay-lilypad");
    mkdirSync(lilypadDir);
    copyFileSync(join(dir, "image.json"), join(lilypadDir, "image.json"));
    const stale = `sha256:${"0".repeat(64)}`;
    const template = (digest: string) =>
      `{"machine":{"gpu":0,"cpu":1000,"ram":100},"job":{"APIVersion":"V1beta1","Spec":{"Docker":{"Entrypoint":["/usr/games/cowsay",{{ .Message }}],"Image":"lilypad/cowsay@${digest}"},"Engine":"Docker","Network":{"Type":"None"},"Timeout":60}}}`;
    await writeFile(join(lilypadDir, "lilypad_module.json.tmpl"), template(stale));
    // Packaged as it is, the archive is not the image the template names.
    const first = await buildContainerImage({ dir: lilypadDir });
    await assert.rejects(packageModule({ dir: lilypadDir, blockstore }), /not the sha256:0{64} that lilypad_module\.json\.tmpl names/);
    const lines: string[] = [];
    const built = await buildModule({ dir: lilypadDir, blockstore, onImageProgress: (line) => lines.push(line) });
    assert.equal(readFileSync(join(lilypadDir, "lilypad_module.json.tmpl"), "utf8"), template(first.manifestDigest));
    assert.ok(lines.some((line) => line.includes(first.manifestDigest)), lines.join("\n"));
    assert.equal(built.manifest.engine, "container");
    assert.equal(built.manifest.artifact.image, first.image);
  });

  it("packageModule takes a folder's own image.oci.tar when it has no recipe", async () => {
    const given = join(root, "given");
    mkdirSync(given);
    copyFileSync(join(dir, "build", "image.oci.tar"), join(given, "image.oci.tar"));
    copyFileSync(join(dir, "manifest.json"), join(given, "manifest.json"));
    const packaged = await packageModule({ dir: given, blockstore });
    const fromRecipe = await packageModule({ dir, blockstore });
    assert.equal(packaged.manifest.artifact.cid, fromRecipe.manifest.artifact.cid);
    assert.equal(packaged.manifest.artifact.image, fromRecipe.manifest.artifact.image);
  });
});
