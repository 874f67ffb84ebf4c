/**
 * Removing files without holding the event loop. Where the file system is mounted with `discard`
 * (this project's VMs: ext4 without a journal), an unlink waits in the calling thread for the disk
 * to discard the freed blocks: measured here, 54 ms for a 128 MiB segment and 0.4–0.7 s for a
 * 1.7 GB partition directory. On the event loop that is a stall of every client and follower of
 * the broker. So what goes is first retired: renamed (one directory entry, no block freed) to a
 * name no reader looks at, which frees its own name at once, and then removed on the I/O thread
 * pool, one removal at a time. Kafka does the same with its `.deleted` segment files and
 * `-delete` partition directories, and so do retired names here: what a crash left behind is
 * recognised by its name and removed at the next start (removeRetiredIn).
 *
 * @example
 * ```ts
 * retireFile(`${dir}/00000000000000000000.log`); // gone from its name now, from the disk soon
 * retireDirectory(dir);
 * await retiredRemoved(); // tests: every removal so far has finished
 * ```
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Suffix of a retired file (`<name>.<unique>.deleted`). */
const RETIRED_FILE_SUFFIX = ".deleted";
/** Suffix of a retired directory (`<name>.<unique>-delete`): a partition directory ends in a digit. */
const RETIRED_DIRECTORY_SUFFIX = "-delete";

/**
 * Rename `file` to a retired name and remove it in the background; nothing when it does not exist.
 * A rename's own error (not ENOENT) is thrown: the caller's deletion failed as an unlink would have.
 */
export function retireFile(file: string): void {
  retire(file, `${file}.${uniquePart()}${RETIRED_FILE_SUFFIX}`);
}

/** retireFile for a directory and everything in it. */
export function retireDirectory(directory: string): void {
  retire(directory, `${directory}.${uniquePart()}${RETIRED_DIRECTORY_SUFFIX}`);
}

/**
 * Queue the removal of every retired entry directly in `directory` (what a crash or a failed
 * removal left); returns how many were queued. A missing directory has none.
 */
export function removeRetiredIn(directory: string): number {
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return 0;
    throw error;
  }
  let queued = 0;
  for (const name of names) {
    if (isRetiredName(name)) {
      removeRetired(path.join(directory, name));
      queued++;
    }
  }
  return queued;
}

/** Whether a directory entry's name is a retired one (see retireFile, retireDirectory). */
export function isRetiredName(name: string): boolean {
  return name.endsWith(RETIRED_FILE_SUFFIX) || name.endsWith(RETIRED_DIRECTORY_SUFFIX);
}

/** Queue the removal of an entry already under a retired name (one a directory listing found). */
export function removeRetired(entry: string): void {
  removals.push(entry);
  runRemovals();
}

/** Resolves once every removal queued so far has finished (failed ones included). */
export function retiredRemoved(): Promise<void> {
  if (!removing) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

/**
 * Where a failed background removal is reported (the entry stays on disk under its retired name,
 * and the next start's removeRetiredIn tries again): the broker's ReplicaManager sets its log;
 * stderr until then.
 */
export function onRetiredRemovalError(report: (message: string) => void): void {
  reportError = report;
}

/** Paths waiting for removal, oldest first. Bounded by what the process deleted; a string each. */
let removals: string[] = [];
let removing = false;
let idleWaiters: (() => void)[] = [];
let reportError = (message: string) => console.error(message);
let retiredCount = 0;

function retire(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return; // nothing to delete: as removeIfExists
    throw error;
  }
  removeRetired(to);
}

/** Unique within this process, and across restarts with the time in it. */
function uniquePart(): string {
  return `${Date.now().toString(36)}${(retiredCount++).toString(36)}`;
}

function runRemovals(): void {
  if (removing) return;
  removing = true;
  (async () => {
    // Started once the retiring task is done (a microtask later), so that every rename of that
    // task comes before the first removal.
    await Promise.resolve();
    while (removals.length > 0) {
      const batch = removals;
      removals = [];
      for (const entry of batch) {
        try {
          await Deno.remove(entry, { recursive: true });
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) continue; // removed meanwhile: what was wanted
          reportError(
            `could not remove ${entry} (${(error as Error).message}); it stays under this retired name ` +
              `and the next start tries again`,
          );
        }
      }
    }
    removing = false;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  })();
}
