// A tiny OCI image for the container engine's tests: a root file system holding Debian's static busybox and its
// applets, tarred reproducibly, imported into podman and saved as an OCI archive. The archive and its image ID are
// cached under os.tmpdir() by the hash of the root file system's tar, so the image is built once per machine.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureImageLoaded, PODMAN_GLOBAL_ARGS, podmanAvailability } from "../../../src/sandbox/container/podman.ts";

const BUSYBOX = "/bin/busybox";
const APPLETS = ["sh", "cat", "echo", "env", "head", "tr", "yes", "sleep", "touch", "ls", "id", "nc", "wget", "ln", "dd", "printf", "true", "sort", "mkdir"];

/** Why the container tests cannot run here, naming the package to install; undefined when they can. */
export async function containerToolsMissing(): Promise<string | undefined> {
  const podman = await podmanAvailability();
  if (!podman.ok) return podman.reason;
  // Debian's plain busybox is linked dynamically and would need a libc in the image.
  if (!existsSync(BUSYBOX) || !isStaticElf(readFileSync(BUSYBOX))) return "no static busybox (apt-get install busybox-static)";
  return undefined;
}

/** Whether a 64-bit little-endian ELF file has no program interpreter (PT_INTERP), i.e. is linked statically. */
function isStaticElf(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > elf.length) return false;
    if (elf.readUInt32LE(at) === 3) return false;
  }
  return true;
}

export interface TestImage {
  archivePath: string;
  image: string;
}

let built: Promise<TestImage> | undefined;

/** The busybox image, loaded into podman's storage. */
export function busyboxImage(): Promise<TestImage> {
  built ??= buildOrReuse();
  return built;
}

async function buildOrReuse(): Promise<TestImage> {
  const work = mkdtempSync(join(tmpdir(), "lilypad-busybox-"));
  try {
    const rootfsTar = join(work, "rootfs.tar");
    tarRootfs(work, rootfsTar);
    const hash = createHash("sha256").update(readFileSync(rootfsTar)).digest("hex").slice(0, 16);
    const archivePath = join(tmpdir(), `lilypad-busybox-${hash}.oci.tar`);
    const idPath = `${archivePath}.id`;
    if (!existsSync(archivePath) || !existsSync(idPath)) {
      // `podman import` stamps the image with the time, so the ID is only stable through the cached archive.
      const imported = run(["import", "--change", 'CMD ["/bin/sh"]', rootfsTar]);
      const id = /sha256:([0-9a-f]{64})/.exec(imported)?.[1];
      if (!id) throw new Error(`podman import printed no image ID: ${imported}`);
      // Saved by bare ID, the archive names no tag and loads as "sha256:<id>".
      const partial = join(work, "image.oci.tar");
      run(["save", "--format", "oci-archive", "--output", partial, id]);
      renameSync(partial, archivePath);
      writeFileSync(idPath, `sha256:${id}\n`);
    }
    const image = readFileSync(idPath, "utf8").trim();
    await ensureImageLoaded({ archivePath, image });
    return { archivePath, image };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A root file system with /bin/busybox, its applets as symlinks and the mount points, tarred reproducibly. */
function tarRootfs(work: string, target: string): void {
  const root = join(work, "rootfs");
  mkdirSync(root);
  chmodSync(root, 0o755);
  for (const dir of ["bin", "tmp", "inputs", "outputs"]) {
    mkdirSync(join(root, dir));
    // runc gives a tmpfs the mode of the folder it covers, whatever --tmpfs asks: /tmp must be 1777 in the image.
    chmodSync(join(root, dir), dir === "tmp" ? 0o1777 : 0o755);
  }
  copyFileSync(BUSYBOX, join(root, "bin", "busybox"));
  chmodSync(join(root, "bin", "busybox"), 0o755);
  for (const applet of APPLETS) symlinkSync("busybox", join(root, "bin", applet));
  const tar = spawnSync(
    "tar",
    ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", root, "-cf", target, "."],
    { encoding: "utf8" },
  );
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  chmodSync(target, 0o644);
}

function run(args: string[]): string {
  const done = spawnSync("podman", [...PODMAN_GLOBAL_ARGS, ...args], { encoding: "utf8", timeout: 120_000 });
  if (done.status !== 0) throw new Error(`podman ${args[0]} failed: ${done.stderr}`);
  return done.stdout;
}
