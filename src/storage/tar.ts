// Just enough of the tar format (POSIX ustar, with pax and GNU long names read) for image archives: listing the
// entries of a file by reading its headers and seeking over the contents (an image archive is hundreds of MB and
// a listing reads a few KB of it), and writing small ustar entries to append files to a root filesystem.
import { open, type FileHandle } from "node:fs/promises";

const BLOCK = 512;

export interface TarEntry {
  name: string;
  /** "0" file, "5" directory, "2" symlink, ... (the header's typeflag; "\0" is read as "0"). */
  type: string;
  size: number;
  /** Where the entry's contents start in the file. */
  offset: number;
}

export interface TarListing {
  entries: TarEntry[];
  /** Where the end-of-archive marker (two zero blocks) starts: what is appended goes here. */
  end: number;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? length : nul).toString("utf8");
}

function numeric(header: Buffer, start: number, length: number): number {
  const raw = header.subarray(start, start + length);
  if ((raw[0]! & 0x80) !== 0) {
    // GNU base-256, for sizes of 8 GiB and more.
    let value = 0;
    for (let i = 1; i < length; i++) value = value * 256 + raw[i]!;
    return value;
  }
  const text = field(header, start, length).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum === numeric(header, 148, 8);
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/** Every entry of a tar file, in order; throws on a header whose checksum is wrong or a file cut short. */
export async function listTar(path: string): Promise<TarListing> {
  const handle = await open(path, "r");
  try {
    const { size: fileSize } = await handle.stat();
    const entries: TarEntry[] = [];
    let position = 0;
    let longName: string | undefined;
    while (position + BLOCK <= fileSize) {
      const header = await readAt(handle, position, BLOCK);
      if (header.every((b) => b === 0)) return { entries, end: position };
      if (!checksumOk(header)) throw new Error(`a damaged tar header at byte ${position}`);
      const size = numeric(header, 124, 12);
      const type = field(header, 156, 1) || "0";
      const offset = position + BLOCK;
      if (offset + size > fileSize) throw new Error(`the tar file ends inside an entry (at byte ${position})`);
      position = offset + Math.ceil(size / BLOCK) * BLOCK;
      if (type === "x" || type === "L") {
        const body = (await readAt(handle, offset, size)).toString("utf8");
        if (type === "L") longName = body.replace(/\0+$/, "");
        else {
          const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body);
          if (path) longName = path[1];
        }
        continue;
      }
      if (type === "g") continue;
      const prefix = field(header, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      longName = undefined;
      entries.push({ name, type: type === "\0" ? "0" : type, size, offset });
    }
    // No end marker: tolerated (some writers omit it), appending goes after the last entry.
    return { entries, end: position };
  } finally {
    await handle.close();
  }
}

/** The contents of one entry (for small ones: index.json, a manifest, a config). */
export async function readTarEntry(path: string, entry: TarEntry, maxBytes = 4 << 20): Promise<Buffer> {
  if (entry.size > maxBytes) throw new Error(`${entry.name} is ${entry.size} bytes, more than ${maxBytes}`);
  const handle = await open(path, "r");
  try {
    return await readAt(handle, entry.offset, entry.size);
  } finally {
    await handle.close();
  }
}

export interface TarFileToWrite {
  /** The path in the archive, without a leading "/" (e.g. "app/train.py" or "app/" for a directory). */
  name: string;
  /** Omitted for a directory. */
  content?: Uint8Array;
  mode: number;
  /** Seconds since 1970. */
  mtime: number;
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

/** ustar header plus padded contents, owned by root:root. Names must fit ustar's 100 + 155 characters. */
export function tarEntryBytes(file: TarFileToWrite): Buffer {
  const header = Buffer.alloc(BLOCK);
  let name = file.name;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (cut <= 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`${file.name} is too long for a tar header`);
  }
  const isDir = file.content === undefined;
  const size = file.content?.byteLength ?? 0;
  header.write(name, 0, 100, "utf8");
  header.write(octal(file.mode & 0o7777, 8), 100, "ascii");
  header.write(octal(0, 8), 108, "ascii");
  header.write(octal(0, 8), 116, "ascii");
  header.write(octal(size, 12), 124, "ascii");
  header.write(octal(file.mtime, 12), 136, "ascii");
  header.write("        ", 148, "ascii");
  header.write(isDir ? "5" : "0", 156, "ascii");
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  header.write("root", 265, "ascii");
  header.write("root", 297, "ascii");
  header.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of header) sum += b;
  header.write(octal(sum, 7) + " ", 148, "ascii");
  if (isDir) return header;
  const padded = Buffer.alloc(Math.ceil(size / BLOCK) * BLOCK);
  padded.set(file.content!, 0);
  return Buffer.concat([header, padded]);
}

/** The end-of-archive marker. */
export const TAR_END = Buffer.alloc(2 * BLOCK);
