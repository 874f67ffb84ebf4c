/**
 * One fsync for a whole file system (Linux `syncfs(2)`, through libc): a broker closing 10,000
 * partition logs makes them durable with one of these (then writes its clean-shutdown state)
 * instead of ~9 fsyncs per partition (about 25 ms per partition on a busy disk: minutes at 10,000). Where libc or syncfs is not there (not
 * Linux, no FFI permission) `available()` says so and the caller keeps its per-file fsyncs.
 * The call runs on a thread of its own (`nonblocking`), so the event loop is not held.
 *
 * @example
 * ```ts
 * if (fileSystemSync.available()) await fileSystemSync.sync("/data"); // throws on an I/O error
 * ```
 */

const O_RDONLY = 0;

type Libc = Deno.DynamicLibrary<{
  open: { parameters: ["buffer", "i32"]; result: "i32" };
  syncfs: { parameters: ["i32"]; result: "i32"; nonblocking: true };
  close: { parameters: ["i32"]; result: "i32" };
}>;

let libc: Libc | null | undefined;

function load(): Libc | null {
  if (libc !== undefined) return libc;
  if (Deno.build.os !== "linux") return libc = null;
  try {
    libc = Deno.dlopen("libc.so.6", {
      open: { parameters: ["buffer", "i32"], result: "i32" },
      syncfs: { parameters: ["i32"], result: "i32", nonblocking: true },
      close: { parameters: ["i32"], result: "i32" },
    });
  } catch {
    // No libc of that name or no FFI permission: the callers' per-file fsyncs remain.
    libc = null;
  }
  return libc;
}

export const fileSystemSync = {
  /** Whether sync() can be used here. */
  available(): boolean {
    return load() !== null;
  },

  /** Write back every dirty page and inode of the file system holding `path`; throws when that fails. */
  async sync(path: string): Promise<void> {
    const lib = load();
    if (lib === null) throw new Error("syncfs is not available on this system");
    const fd = lib.symbols.open(new TextEncoder().encode(path + "\0"), O_RDONLY);
    if (fd < 0) throw new Error(`syncfs: cannot open ${path}`);
    try {
      if (await lib.symbols.syncfs(fd) !== 0) throw new Error(`syncfs of ${path} failed (an I/O error)`);
    } finally {
      lib.symbols.close(fd);
    }
  },
};
