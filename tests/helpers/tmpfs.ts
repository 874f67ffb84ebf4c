/**
 * A small tmpfs for disk-fault tests: a directory of a fixed size that a broker fills until its
 * writes fail with ENOSPC, as a full disk does. Mounting needs root (`NETNS_PEERS` names it).
 * Mount points are named `vltava-tmpfs-<pid>-…` in the temp dir after the test process that made
 * them; `mountTmpfs` first unmounts and removes those whose process is gone (a crashed run), and
 * dispose unmounts its own whatever happened.
 *
 * @example
 * ```ts
 * await using disk = await mountTmpfs(4 * 1024 * 1024);
 * await fillTmpfs(disk.path, 64 * 1024); // leave 64 KiB free
 * ```
 */
import { mustRun } from "./netns.ts";
import { runCommand } from "./command.ts";

const PREFIX = "vltava-tmpfs-";

export interface Tmpfs extends AsyncDisposable {
  path: string;
}

function tempRoot(): string {
  return Deno.env.get("TMPDIR") ?? "/tmp";
}

function ownerAlive(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("deno");
  } catch {
    return false;
  }
}

async function unmount(path: string): Promise<void> {
  // Lazy: a process that still has a file open there (a broker being killed) must not keep the mount.
  await runCommand("umount", ["-l", path], { timeoutMs: 30_000 });
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/** Unmount and remove tmpfs mount points of test runs that are gone. */
export async function removeStaleTmpfs(): Promise<string[]> {
  const mounts = (await Deno.readTextFile("/proc/mounts")).split("\n").map((line) =>
    line.split(" ")[1] ?? ""
  );
  const stale = mounts.filter((path) => {
    const match = new RegExp(`/${PREFIX}(\\d+)-[^/]*$`).exec(path);
    return match !== null && !ownerAlive(Number(match[1]));
  });
  for (const path of stale) await unmount(path);
  return stale;
}

/** Mount a tmpfs of `sizeBytes` on a new temporary directory. */
export async function mountTmpfs(sizeBytes: number): Promise<Tmpfs> {
  await removeStaleTmpfs();
  const path = await Deno.makeTempDir({ dir: tempRoot(), prefix: `${PREFIX}${Deno.pid}-` });
  try {
    await mustRun("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes},mode=0755`, "tmpfs", path]);
  } catch (error) {
    await Deno.remove(path).catch(() => {});
    throw error;
  }
  return { path, [Symbol.asyncDispose]: () => unmount(path) };
}

/** Bytes still free on the filesystem holding `path`. */
export async function freeBytes(path: string): Promise<number> {
  const out = await mustRun("df", ["--output=avail", "-B1", path]);
  return Number(out.trim().split("\n").at(-1));
}

/**
 * Take all but `leaveBytes` of the free space with a filler file (`<dir>/filler`); returns its
 * path, whose removal gives the space back.
 */
export async function fillTmpfs(dir: string, leaveBytes: number): Promise<string> {
  const filler = `${dir}/filler`;
  const size = (await freeBytes(dir)) - leaveBytes;
  if (size > 0) {
    using file = await Deno.open(filler, { create: true, write: true, append: true });
    const chunk = new Uint8Array(Math.min(size, 1024 * 1024));
    for (let left = size; left > 0;) {
      const n = await file.write(chunk.subarray(0, Math.min(left, chunk.length)));
      left -= n;
    }
  }
  return filler;
}
