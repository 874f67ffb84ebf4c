/**
 * Request processing: validation in the real server's order (writes validate paths; reads only look
 * them up, so a malformed path is simply NONODE, as on ZooKeeper 3.8), then the txn applied to memory
 * and journaled, then the watch events. Runs synchronously per request, so each request sees
 * every earlier one applied; replies and notifications are held back by the connection until
 * the journal has made their zxid durable.
 */
import {
  AddWatchMode,
  CONTAINER_EPHEMERAL_OWNER,
  CreateMode,
  EventType,
  isCreateMode,
  isEphemeralMode,
  isSequentialMode,
  isTtlMode,
  OpCode,
  Perms,
  WatcherType,
} from "../zk/protocol/codes.ts";
import { ErrorCode } from "../zk/protocol/errors.ts";
import type { ACL, Id, Stat } from "../zk/protocol/records.ts";
import type { MultiOp, MultiResult } from "../zk/protocol/multi.ts";
import type { CreateBody, SetWatches2Body, SetWatchesBody, ZkRequest } from "../zk/protocol/requests.ts";
import type { ZkResponse } from "../zk/protocol/responses.ts";
import { fixupAcl, hasPermission } from "./acl.ts";
import type { Database, Trigger } from "./database.ts";
import { invalidPathReason } from "./paths.ts";
import { parentPath } from "../zk/protocol/paths.ts";
import { statOf, type Undo } from "./tree.ts";
import type { Txn } from "./txn.ts";
import { type Watcher, type WatchManager, WatchMode } from "./watches.ts";

/** Who is asking: the session, its identities, and the connection that gets notifications. */
export interface RequestContext {
  sessionId: bigint;
  authIds: readonly Id[];
  watcher: Watcher;
}

export interface OpResult {
  err: number;
  response?: ZkResponse;
  /** The zxid the reply carries (the txn's for a write, else the last one). */
  zxid: number;
}

/** Nodes that exist from the start and cannot be deleted. */
const PROTECTED = new Set(["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"]);

/** Java's %010d: zero-padded to 10, a minus sign taking one place. */
export function sequenceSuffix(counter: number): string {
  return counter < 0 ? `-${String(-counter).padStart(9, "0")}` : String(counter).padStart(10, "0");
}

/** A validated write: its txn (none for check) and the path whose stat the result reports. */
type Prepared = { err: number; txn?: Txn; path?: string };
/** One op of a write, applied: its error, or its result and txn. */
type Step = { err: number; result?: MultiResult; txn?: Txn };

export class Processor {
  readonly db: Database;
  readonly watches: WatchManager;

  constructor(db: Database, watches: WatchManager) {
    this.db = db;
    this.watches = watches;
  }

  #ok(response: ZkResponse): OpResult {
    return { err: 0, response, zxid: this.db.lastZxid };
  }

  #fail(err: number): OpResult {
    return { err, zxid: this.db.lastZxid };
  }

  execute(ctx: RequestContext, request: ZkRequest): OpResult {
    switch (request.op) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
      case OpCode.delete:
      case OpCode.setData:
        return this.#write(ctx, request);
      case OpCode.multi:
        return this.#multi(ctx, request.ops);
      case OpCode.setACL:
        return this.#setAcl(ctx, request.path, request.acl, request.version);
      case OpCode.check: {
        const step = this.#check(ctx, request);
        return step.err === 0 ? this.#ok({ op: OpCode.check }) : this.#fail(step.err);
      }
      case OpCode.exists:
        return this.#exists(ctx, request.path, request.watch);
      case OpCode.getData:
        return this.#getData(ctx, request.path, request.watch);
      case OpCode.getChildren:
      case OpCode.getChildren2:
        return this.#getChildren(ctx, request.op, request.path, request.watch);
      case OpCode.getACL: {
        const node = this.db.tree.get(request.path);
        if (node === undefined) return this.#fail(ErrorCode.noNode);
        return this.#ok({ op: OpCode.getACL, acl: [...node.acl], stat: statOf(node) });
      }
      case OpCode.sync:
        return this.#ok({ op: OpCode.sync, path: request.path });
      case OpCode.getEphemerals: {
        const prefix = request.path;
        const owned = this.db.tree.ephemerals.get(ctx.sessionId) ?? new Set<string>();
        const paths = [...owned].filter((path) => prefix === "/" || path.startsWith(prefix)).sort();
        return this.#ok({ op: OpCode.getEphemerals, paths });
      }
      case OpCode.getAllChildrenNumber: {
        if (!this.db.tree.get(request.path)) return this.#fail(ErrorCode.noNode);
        return this.#ok({
          op: OpCode.getAllChildrenNumber,
          count: this.db.tree.descendantCount(request.path),
        });
      }
      case OpCode.whoAmI: {
        // Authenticated identities first, then the address, in the real server's order.
        const ids = [
          ...ctx.authIds.filter((id) => id.scheme !== "ip"),
          ...ctx.authIds.filter((id) => id.scheme === "ip"),
        ];
        const clientInfo = ids.map((id) => ({
          authScheme: id.scheme,
          user: id.scheme === "digest" ? id.id.split(":")[0] : id.id,
        }));
        return this.#ok({ op: OpCode.whoAmI, clientInfo });
      }
      case OpCode.setWatches:
      case OpCode.setWatches2:
        this.#setWatches(ctx, request);
        return this.#ok({ op: request.op });
      case OpCode.addWatch: {
        if (request.mode !== AddWatchMode.persistent && request.mode !== AddWatchMode.persistentRecursive) {
          return this.#fail(ErrorCode.marshallingError); // the real server cannot decode the mode
        }
        this.watches.addPersistent(
          request.path,
          ctx.watcher,
          request.mode === AddWatchMode.persistentRecursive,
        );
        return this.#ok({ op: OpCode.addWatch });
      }
      case OpCode.checkWatches:
      case OpCode.removeWatches:
        return this.#watchesCheck(ctx, request.op, request.path, request.type);
      default:
        // ping, closeSession and auth are the connection's business.
        return this.#fail(ErrorCode.unimplemented);
    }
  }

  // --- Writes -----------------------------------------------------------------

  #write(ctx: RequestContext, op: MultiOp): OpResult {
    const zxid = this.db.lastZxid + 1;
    const timeMs = Date.now();
    const triggers: Trigger[] = [];
    const step = this.#step(ctx, op, zxid, timeMs, triggers, []);
    if (step.err !== 0 || step.result === undefined) return this.#fail(step.err);
    if (step.txn === undefined) return this.#ok(responseFor(op, step.result)); // a lone check
    this.db.commit({ zxid, timeMs, txn: step.txn });
    this.#fire(triggers, zxid);
    return { err: 0, response: responseFor(op, step.result), zxid };
  }

  #multi(ctx: RequestContext, ops: MultiOp[]): OpResult {
    const zxid = this.db.lastZxid + 1;
    const timeMs = Date.now();
    const triggers: Trigger[] = [];
    const undos: Undo[] = [];
    const txns: Txn[] = [];
    const results: MultiResult[] = [];
    for (let i = 0; i < ops.length; i++) {
      const step = this.#step(ctx, ops[i], zxid, timeMs, triggers, undos);
      if (step.err !== 0 || step.result === undefined) {
        for (let u = undos.length - 1; u >= 0; u--) undos[u]();
        const failed = ops.map((_, j): MultiResult => ({
          type: OpCode.error,
          err: j < i ? ErrorCode.ok : j === i ? step.err : ErrorCode.runtimeInconsistency,
        }));
        return this.#ok({ op: OpCode.multi, results: failed });
      }
      if (step.txn !== undefined) txns.push(step.txn);
      // The real server answers create2 inside a multi with a plain create result (path only).
      const result = step.result;
      results.push(
        result.type === OpCode.create2 && ops[i].op === OpCode.create2
          ? { type: OpCode.create, path: result.path }
          : result,
      );
    }
    if (txns.length === 0) return this.#ok({ op: OpCode.multi, results });
    this.db.commit({ zxid, timeMs, txn: { type: "multi", txns } });
    this.#fire(triggers, zxid);
    return { err: 0, response: { op: OpCode.multi, results }, zxid };
  }

  /** Validate one write against the current tree and, when valid, apply it (with undo). */
  #step(
    ctx: RequestContext,
    op: MultiOp,
    zxid: number,
    timeMs: number,
    triggers: Trigger[],
    undos: Undo[],
  ): Step {
    let step: Prepared;
    switch (op.op) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        step = this.#prepareCreate(ctx, op.op, op);
        break;
      case OpCode.delete:
        step = this.#prepareDelete(ctx, op.path, op.version);
        break;
      case OpCode.setData:
        step = this.#prepareSetData(ctx, op.path, op.data, op.version);
        break;
      case OpCode.check:
        step = this.#check(ctx, op);
        break;
    }
    if (step.err !== 0) return { err: step.err };
    if (step.txn !== undefined) undos.push(this.db.apply(step.txn, zxid, timeMs, triggers));
    return { err: 0, result: this.#resultFor(op.op, step.path), txn: step.txn };
  }

  /** The multi result of an applied op; stats are read after the apply. */
  #resultFor(op: number, path: string | undefined): MultiResult {
    const node = path === undefined ? undefined : this.db.tree.get(path);
    switch (op) {
      case OpCode.create:
        return { type: OpCode.create, path: path! };
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        return { type: OpCode.create2, path: path!, stat: statOf(node!) };
      case OpCode.setData:
        return { type: OpCode.setData, stat: statOf(node!) };
      case OpCode.delete:
        return { type: OpCode.delete };
      default:
        return { type: OpCode.check };
    }
  }

  #prepareCreate(ctx: RequestContext, op: number, body: CreateBody): Prepared {
    const flags = body.flags;
    if (op === OpCode.createTTL || isTtlMode(flags)) return { err: ErrorCode.unimplemented };
    if (!isCreateMode(flags)) return { err: ErrorCode.badArguments };
    const sequential = isSequentialMode(flags);
    if (invalidPathReason(sequential ? `${body.path}1` : body.path)) return { err: ErrorCode.badArguments };
    const acl = fixupAcl(body.acl, ctx.authIds);
    if (acl === undefined) return { err: ErrorCode.invalidAcl };
    const parent = this.db.tree.get(parentPath(body.path));
    if (parent === undefined) return { err: ErrorCode.noNode };
    if (!hasPermission(parent.acl, Perms.create, ctx.authIds)) return { err: ErrorCode.noAuth };
    const path = sequential ? body.path + sequenceSuffix(parent.childCreates) : body.path;
    if (this.db.tree.get(path) !== undefined) return { err: ErrorCode.nodeExists };
    if (parent.ephemeralOwner !== 0n && parent.ephemeralOwner !== CONTAINER_EPHEMERAL_OWNER) {
      return { err: ErrorCode.noChildrenForEphemerals };
    }
    const ephemeralOwner = isEphemeralMode(flags)
      ? ctx.sessionId
      : flags === CreateMode.container
      ? CONTAINER_EPHEMERAL_OWNER
      : 0n;
    return { err: 0, txn: { type: "create", path, data: body.data, acl, ephemeralOwner }, path };
  }

  #prepareDelete(ctx: RequestContext, path: string, version: number): Prepared {
    // As the real server: only a missing "/", a NUL or a special node is a bad argument here.
    if (!path.includes("/") || path.includes("\0") || PROTECTED.has(path)) {
      return { err: ErrorCode.badArguments };
    }
    const parent = this.db.tree.get(parentPath(path));
    if (parent === undefined) return { err: ErrorCode.noNode };
    if (!hasPermission(parent.acl, Perms.delete, ctx.authIds)) return { err: ErrorCode.noAuth };
    const node = this.db.tree.get(path);
    if (node === undefined) return { err: ErrorCode.noNode };
    if (version !== -1 && node.version !== version) return { err: ErrorCode.badVersion };
    if (node.children.size > 0) return { err: ErrorCode.notEmpty };
    return { err: 0, txn: { type: "delete", path } };
  }

  #prepareSetData(ctx: RequestContext, path: string, data: Uint8Array | null, version: number): Prepared {
    if (invalidPathReason(path)) return { err: ErrorCode.badArguments };
    const node = this.db.tree.get(path);
    if (node === undefined) return { err: ErrorCode.noNode };
    if (!hasPermission(node.acl, Perms.write, ctx.authIds)) return { err: ErrorCode.noAuth };
    if (version !== -1 && node.version !== version) return { err: ErrorCode.badVersion };
    return { err: 0, txn: { type: "setData", path, data }, path };
  }

  #check(ctx: RequestContext, op: { path: string; version: number }): Prepared {
    if (invalidPathReason(op.path)) return { err: ErrorCode.badArguments };
    const node = this.db.tree.get(op.path);
    if (node === undefined) return { err: ErrorCode.noNode };
    if (!hasPermission(node.acl, Perms.read, ctx.authIds)) return { err: ErrorCode.noAuth };
    if (op.version !== -1 && node.version !== op.version) return { err: ErrorCode.badVersion };
    return { err: 0 };
  }

  #setAcl(ctx: RequestContext, path: string, requested: readonly ACL[], version: number): OpResult {
    if (invalidPathReason(path)) return this.#fail(ErrorCode.badArguments);
    const node = this.db.tree.get(path);
    if (node === undefined) return this.#fail(ErrorCode.noNode);
    if (!hasPermission(node.acl, Perms.admin, ctx.authIds)) return this.#fail(ErrorCode.noAuth);
    const acl = fixupAcl(requested, ctx.authIds);
    if (acl === undefined) return this.#fail(ErrorCode.invalidAcl);
    if (version !== -1 && node.aversion !== version) return this.#fail(ErrorCode.badVersion);
    const zxid = this.db.applyAndCommit({ type: "setAcl", path, acl }, Date.now(), []);
    return { err: 0, response: { op: OpCode.setACL, stat: statOf(this.db.tree.get(path)!) }, zxid };
  }

  #fire(triggers: Trigger[], zxid: number): void {
    for (const [type, path] of triggers) this.watches.fire(type, path, zxid);
  }

  /** Fire the events of txns the server itself made (session close, expiry, container sweep). */
  fireAll(triggers: Trigger[], zxid: number): void {
    this.#fire(triggers, zxid);
  }

  // --- Reads and watches --------------------------------------------------------

  #exists(ctx: RequestContext, path: string, watch: boolean): OpResult {
    if (watch) this.watches.data.add(path, ctx.watcher, WatchMode.standard);
    const node = this.db.tree.get(path);
    if (node === undefined) return this.#fail(ErrorCode.noNode);
    return this.#ok({ op: OpCode.exists, stat: statOf(node) });
  }

  #getData(ctx: RequestContext, path: string, watch: boolean): OpResult {
    const node = this.db.tree.get(path);
    if (node === undefined) return this.#fail(ErrorCode.noNode);
    if (!hasPermission(node.acl, Perms.read, ctx.authIds)) return this.#fail(ErrorCode.noAuth);
    if (watch) this.watches.data.add(path, ctx.watcher, WatchMode.standard);
    return this.#ok({ op: OpCode.getData, data: node.data, stat: statOf(node) });
  }

  #getChildren(ctx: RequestContext, op: number, path: string, watch: boolean): OpResult {
    const node = this.db.tree.get(path);
    if (node === undefined) return this.#fail(ErrorCode.noNode);
    if (!hasPermission(node.acl, Perms.read, ctx.authIds)) return this.#fail(ErrorCode.noAuth);
    if (watch) this.watches.child.add(path, ctx.watcher, WatchMode.standard);
    const children = [...node.children];
    return op === OpCode.getChildren
      ? this.#ok({ op: OpCode.getChildren, children })
      : this.#ok({ op: OpCode.getChildren2, children, stat: statOf(node) });
  }

  /** Re-register a reconnecting client's watches, firing at once what it missed. */
  #setWatches(ctx: RequestContext, body: SetWatchesBody | SetWatches2Body): void {
    const tree = this.db.tree;
    const zxid = this.db.lastZxid;
    const notify = (type: number, path: string) => ctx.watcher.notify({ type, state: 3, path }, zxid);
    for (const path of body.dataWatches) {
      const node = tree.get(path);
      if (node === undefined) notify(EventType.nodeDeleted, path);
      else if (node.mzxid > body.relativeZxid) notify(EventType.nodeDataChanged, path);
      else this.watches.data.add(path, ctx.watcher, WatchMode.standard);
    }
    for (const path of body.existWatches) {
      if (tree.get(path) !== undefined) notify(EventType.nodeCreated, path);
      else this.watches.data.add(path, ctx.watcher, WatchMode.standard);
    }
    for (const path of body.childWatches) {
      const node = tree.get(path);
      if (node === undefined) notify(EventType.nodeDeleted, path);
      else if (node.pzxid > body.relativeZxid) notify(EventType.nodeChildrenChanged, path);
      else this.watches.child.add(path, ctx.watcher, WatchMode.standard);
    }
    if ("persistentWatches" in body) {
      for (const path of body.persistentWatches) this.watches.addPersistent(path, ctx.watcher, false);
      for (const path of body.persistentRecursiveWatches) this.watches.addPersistent(path, ctx.watcher, true);
    }
  }

  #watchesCheck(ctx: RequestContext, op: number, path: string, type: number): OpResult {
    if (type !== WatcherType.children && type !== WatcherType.data && type !== WatcherType.any) {
      return this.#fail(ErrorCode.marshallingError); // the real server cannot decode the type
    }
    const tables = [];
    if (type !== WatcherType.data) tables.push(this.watches.child);
    if (type !== WatcherType.children) tables.push(this.watches.data);
    // Only "any" reaches persistent and recursive watches.
    const matches = tables.filter((table) => {
      const mode = table.modeOf(path, ctx.watcher);
      return mode !== undefined && (type === WatcherType.any || mode === WatchMode.standard);
    });
    if (matches.length === 0) return this.#fail(ErrorCode.noWatcher);
    if (op === OpCode.removeWatches) { for (const table of matches) table.remove(path, ctx.watcher); }
    return this.#ok({ op: op as typeof OpCode.removeWatches });
  }
}

function responseFor(op: MultiOp, result: MultiResult): ZkResponse {
  switch (op.op) {
    case OpCode.create:
      return { op: OpCode.create, path: (result as { path: string }).path };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL: {
      const { path, stat } = result as { path: string; stat: Stat };
      return { op: op.op, path, stat };
    }
    case OpCode.delete:
      return { op: OpCode.delete };
    case OpCode.setData:
      return { op: OpCode.setData, stat: (result as { stat: Stat }).stat };
    case OpCode.check:
      return { op: OpCode.check };
  }
}
