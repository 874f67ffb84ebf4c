/**
 * The durable state: the tree, the sessions and the last zxid, kept in memory and made durable
 * by the journal (every txn) and snapshots (every N txns). `apply` is the one place a txn
 * changes state, both live and during replay, so both give the same tree.
 */
import { EventType } from "../zk/protocol/codes.ts";
import { DataTree, type Undo } from "./tree.ts";
import { Journal, listJournalFiles, replayJournal } from "./journal.ts";
import {
  encodeSnapshot,
  listSnapshots,
  loadLatestSnapshot,
  type SessionRecord,
  writeSnapshot,
} from "./snapshot.ts";
import { decodeTxnEntry, type Txn, type TxnEntry, writeTxnEntry } from "./txn.ts";
import { parentPath } from "../zk/protocol/paths.ts";

/** An event a txn causes, for the watch manager: [type, path]. */
export type Trigger = [type: number, path: string];

export interface DatabaseOptions {
  /** Take a snapshot (and drop older journal files) after this many txns. */
  snapshotEveryTxns: number;
  log?: (line: string) => void;
}

export interface RecoveryInfo {
  snapshotZxid: number;
  replayedEntries: number;
  truncatedBytes: number;
}

const noop: Undo = () => {};

export class Database {
  readonly dir: string;
  tree: DataTree;
  sessions: Map<bigint, SessionRecord>;
  lastZxid: number;
  readonly journal: Journal;
  readonly recovery: RecoveryInfo;
  readonly #options: DatabaseOptions;
  readonly #lock: Deno.FsFile;
  #txnsSinceSnapshot = 0;
  #snapshotting: Promise<void> | undefined;
  snapshotCount = 0;

  private constructor(
    dir: string,
    state: { tree: DataTree; sessions: Map<bigint, SessionRecord>; lastZxid: number },
    journal: Journal,
    recovery: RecoveryInfo,
    options: DatabaseOptions,
    lock: Deno.FsFile,
  ) {
    this.#lock = lock;
    this.dir = dir;
    this.tree = state.tree;
    this.sessions = state.sessions;
    this.lastZxid = state.lastZxid;
    this.journal = journal;
    this.recovery = recovery;
    this.#options = options;
  }

  /** Load the newest snapshot, replay the journal after it (cutting a torn tail), open a new journal file. */
  static async open(dir: string, options: DatabaseOptions): Promise<Database> {
    await Deno.mkdir(dir, { recursive: true });
    const lock = await lockDirectory(dir);
    try {
      return await Database.#load(dir, options, lock);
    } catch (error) {
      lock.close();
      throw error;
    }
  }

  static async #load(dir: string, options: DatabaseOptions, lock: Deno.FsFile): Promise<Database> {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".snap.tmp")) await Deno.remove(`${dir}/${entry.name}`);
    }
    const snapshot = await loadLatestSnapshot(dir, options.log);
    const state = {
      tree: snapshot?.tree ?? new DataTree(),
      sessions: snapshot?.sessions ?? new Map<bigint, SessionRecord>(),
      lastZxid: snapshot?.zxid ?? 0,
    };
    const snapshotZxid = state.lastZxid;
    const replay = await replayJournal(dir, snapshotZxid, (payload) => {
      const entry = decodeTxnEntry(payload);
      applyTxn(state.tree, state.sessions, entry, []);
      return entry.zxid;
    });
    state.lastZxid = replay.lastZxid;
    const journal = await Journal.open(dir, state.lastZxid + 1);
    return new Database(
      dir,
      state,
      journal,
      {
        snapshotZxid,
        replayedEntries: replay.entries,
        truncatedBytes: replay.truncatedBytes,
      },
      options,
      lock,
    );
  }

  /** Apply a txn at `zxid` to memory (not yet journaled); events go to `triggers`. */
  apply(txn: Txn, zxid: number, timeMs: number, triggers: Trigger[]): Undo {
    return applyTxn(this.tree, this.sessions, { zxid, timeMs, txn }, triggers);
  }

  /** Journal an applied txn and make `zxid` the last one. Durable once journal.onDurable reports it. */
  commit(entry: TxnEntry): void {
    if (entry.zxid !== this.lastZxid + 1) throw new Error(`Zxid ${entry.zxid} after ${this.lastZxid}`);
    this.journal.append(entry.zxid, (writer) => writeTxnEntry(writer, entry));
    this.lastZxid = entry.zxid;
    if (++this.#txnsSinceSnapshot >= this.#options.snapshotEveryTxns && this.#snapshotting === undefined) {
      this.#snapshotting = this.#snapshot().finally(() => this.#snapshotting = undefined);
    }
  }

  /** Apply and journal in one step (txns that cannot fail validation). */
  applyAndCommit(txn: Txn, timeMs: number, triggers: Trigger[]): number {
    const zxid = this.lastZxid + 1;
    this.apply(txn, zxid, timeMs, triggers);
    this.commit({ zxid, timeMs, txn });
    return zxid;
  }

  async #snapshot(): Promise<void> {
    this.#txnsSinceSnapshot = 0;
    const zxid = this.lastZxid;
    const bytes = encodeSnapshot({ zxid, tree: this.tree, sessions: this.sessions });
    this.journal.roll(zxid + 1);
    try {
      await writeSnapshot(this.dir, zxid, bytes);
      await this.journal.flush();
      for (const file of await listJournalFiles(this.dir)) {
        // A file that cannot be removed now is only disk space: the next snapshot retries it.
        if (file.firstZxid <= zxid) await Deno.remove(`${this.dir}/${file.name}`).catch(() => {});
      }
      for (const snapshot of await listSnapshots(this.dir)) {
        // Likewise: an older snapshot left behind is never read (the newest one wins).
        if (snapshot.zxid < zxid) await Deno.remove(`${this.dir}/${snapshot.name}`).catch(() => {});
      }
      this.snapshotCount++;
    } catch (error) {
      this.#options.log?.(`Snapshot at zxid ${zxid} failed: ${(error as Error).message}`);
    }
  }

  /** Flush the journal, wait for a snapshot in progress, close files. */
  async close(): Promise<void> {
    await this.#snapshotting;
    await this.journal.close();
    this.#lock.close(); // releases the directory lock
  }
}

/** Two coordinators on one directory would interleave journals: hold an exclusive lock on `LOCK`. */
async function lockDirectory(dir: string): Promise<Deno.FsFile> {
  const file = await Deno.open(`${dir}/LOCK`, { create: true, write: true });
  if (!(await file.tryLock(true))) {
    file.close();
    throw new Error(`Data directory ${dir} is in use by another coordinator`);
  }
  return file;
}

/** The state transition of one txn. Used live and by replay. */
function applyTxn(
  tree: DataTree,
  sessions: Map<bigint, SessionRecord>,
  entry: TxnEntry,
  triggers: Trigger[],
): Undo {
  const { txn, zxid, timeMs } = entry;
  switch (txn.type) {
    case "create": {
      const undo = tree.create(txn.path, txn.data, txn.acl, txn.ephemeralOwner, zxid, timeMs);
      triggers.push([EventType.nodeCreated, txn.path], [EventType.nodeChildrenChanged, parentPath(txn.path)]);
      return undo;
    }
    case "delete": {
      const undo = tree.remove(txn.path, zxid);
      triggers.push([EventType.nodeDeleted, txn.path], [EventType.nodeChildrenChanged, parentPath(txn.path)]);
      return undo;
    }
    case "setData": {
      const undo = tree.setData(txn.path, txn.data, zxid, timeMs);
      triggers.push([EventType.nodeDataChanged, txn.path]);
      return undo;
    }
    case "setAcl":
      return tree.setAcl(txn.path, txn.acl);
    case "multi": {
      const undos = txn.txns.map((inner) => applyTxn(tree, sessions, { zxid, timeMs, txn: inner }, triggers));
      return () => {
        for (let i = undos.length - 1; i >= 0; i--) undos[i]();
      };
    }
    case "createSession":
      sessions.set(txn.sessionId, { sessionId: txn.sessionId, passwd: txn.passwd, timeoutMs: txn.timeoutMs });
      return noop;
    case "closeSession": {
      const paths = [...(tree.ephemerals.get(txn.sessionId) ?? [])].sort();
      for (const path of paths) {
        tree.remove(path, zxid);
        triggers.push([EventType.nodeDeleted, path], [EventType.nodeChildrenChanged, parentPath(path)]);
      }
      sessions.delete(txn.sessionId);
      return noop;
    }
  }
}
