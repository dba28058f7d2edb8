// Whole-file reads and writes over wasi_snapshot_preview1, for modules built with @assemblyscript/wasi-shim
// (the shim has stdio, args and env, but no file API). Absolute paths are resolved against the preopened
// directories the host gives the module (the sandbox preopens /inputs and /outputs).
import {
  errno,
  errnoToString,
  filestat,
  fd_close,
  fd_filestat_get,
  fd_prestat_dir_name,
  fd_prestat_get,
  fd_read,
  fd_write,
  lookupflags,
  oflags,
  path_open,
  prestat,
  rights,
} from "bindings/wasi_snapshot_preview1";

/** The errno of the last failed call here, with its name: for error messages. */
export let lastErrno: u16 = 0;

export function lastErrorName(): string {
  return errnoToString(lastErrno);
}

// Scratch space for out-parameters: prestat (8 bytes) or an fd (4) at 0, an iovec (8) at 8, a byte count (4) at
// 16, a filestat (64) at 32.
const scratch = memory.data(96);

class Preopen {
  constructor(public fd: u32, public name: string) {}
}

let preopenList: Preopen[] | null = null;

function preopens(): Preopen[] {
  let list = preopenList;
  if (list) return list;
  list = new Array<Preopen>();
  // Preopened directories are numbered from 3 upwards; the first fd that is not one ends the list.
  for (let fd: u32 = 3; fd < 3 + 64; fd++) {
    if (fd_prestat_get(fd, changetype<prestat>(scratch)) != errno.SUCCESS) break;
    if (load<u8>(scratch) != 0) continue; // not a directory
    const nameLen = load<u32>(scratch, 4);
    const buf = new ArrayBuffer(<i32>nameLen);
    if (fd_prestat_dir_name(fd, changetype<usize>(buf), nameLen) != errno.SUCCESS) continue;
    let name = String.UTF8.decode(buf);
    while (name.length > 1 && name.endsWith("/")) name = name.substring(0, name.length - 1);
    if (name.startsWith("./")) name = name.substring(1);
    else if (!name.startsWith("/")) name = "/" + name;
    list.push(new Preopen(fd, name));
  }
  preopenList = list;
  return list;
}

/** Opens an absolute path inside one of the preopened directories; returns the fd, or -1 with lastErrno set. */
function openPath(path: string, oflagBits: u16, rightsBase: u64): i64 {
  const list = preopens();
  let best: Preopen | null = null;
  let rest = "";
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    const prefix = p.name == "/" ? "/" : p.name + "/";
    if (path.startsWith(prefix) && (best == null || p.name.length > best.name.length)) {
      best = p;
      rest = path.substring(prefix.length);
    }
  }
  if (best == null) {
    lastErrno = errno.NOENT;
    return -1;
  }
  const pathBytes = String.UTF8.encode(rest);
  const err = path_open(
    best.fd,
    lookupflags.SYMLINK_FOLLOW,
    changetype<usize>(pathBytes),
    <usize>pathBytes.byteLength,
    oflagBits,
    rightsBase,
    0,
    0,
    scratch,
  );
  if (err != errno.SUCCESS) {
    lastErrno = err;
    return -1;
  }
  return <i64>load<u32>(scratch);
}

/** The whole file at an absolute path, or null (see lastErrno). */
export function readFile(path: string): Uint8Array | null {
  const fd = openPath(path, 0, rights.FD_READ | rights.FD_SEEK | rights.FD_TELL | rights.FD_FILESTAT_GET);
  if (fd < 0) return null;
  // Size the buffer from the file's size (one byte more, to see the end without growing), if the host tells it.
  let capacity = 64 * 1024;
  if (fd_filestat_get(<u32>fd, changetype<filestat>(scratch + 32)) == errno.SUCCESS) {
    const size = load<u64>(scratch + 32, 32);
    if (size < 0x7fff0000) capacity = <i32>size + 1;
  }
  let data = new Uint8Array(capacity);
  let used = 0;
  while (true) {
    if (used == data.length) {
      const bigger = new Uint8Array(data.length * 2);
      memory.copy(bigger.dataStart, data.dataStart, <usize>used);
      data = bigger;
    }
    store<usize>(scratch, data.dataStart + <usize>used, 8);
    store<usize>(scratch, <usize>(data.length - used), 12);
    const err = fd_read(<u32>fd, scratch + 8, 1, scratch + 16);
    if (err != errno.SUCCESS) {
      lastErrno = err;
      fd_close(<u32>fd);
      return null;
    }
    const n = <i32>load<u32>(scratch, 16);
    if (n == 0) break;
    used += n;
  }
  fd_close(<u32>fd);
  return data.subarray(0, used);
}

/** Writes `data` to `fd`; returns false (see lastErrno) on an error. */
export function writeAll(fd: u32, data: Uint8Array): bool {
  let done = 0;
  while (done < data.length) {
    store<usize>(scratch, data.dataStart + <usize>done, 8);
    store<usize>(scratch, <usize>(data.length - done), 12);
    const err = fd_write(fd, scratch + 8, 1, scratch + 16);
    if (err != errno.SUCCESS) {
      lastErrno = err;
      return false;
    }
    const n = <i32>load<u32>(scratch, 16);
    if (n == 0) {
      lastErrno = errno.IO;
      return false;
    }
    done += n;
  }
  return true;
}

/** Creates or replaces the file at an absolute path and opens it for writing; returns the fd, or -1 (see lastErrno). */
export function createFile(path: string): i64 {
  return openPath(
    path,
    oflags.CREAT | oflags.TRUNC,
    rights.FD_WRITE | rights.FD_SEEK | rights.FD_TELL | rights.FD_FILESTAT_GET | rights.FD_FILESTAT_SET_SIZE,
  );
}

export function closeFile(fd: u32): void {
  fd_close(fd);
}

/** Creates or replaces the file at an absolute path; returns false (see lastErrno) on an error. */
export function writeFile(path: string, data: Uint8Array): bool {
  const fd = createFile(path);
  if (fd < 0) return false;
  const ok = writeAll(<u32>fd, data);
  fd_close(<u32>fd);
  return ok;
}
