/**
 * Transaction: a multi request built by chaining, applied all-or-nothing by the server.
 *
 * @example
 * ```ts
 * const results = await zk.transaction()
 *   .check("/config", 3)
 *   .create("/config/a", "1")
 *   .setData("/config", "v4")
 *   .commit();
 * ```
 */
import {
  type ACL,
  ErrorCode,
  KeeperError,
  type MultiOp,
  OpCode,
  OPEN_ACL_UNSAFE,
  type Stat,
} from "../protocol/mod.ts";
import type { Session } from "./session.ts";
import { createFlags, type CreateOptions, type NodeData, toBytes } from "./client.ts";

/** The result of one op of a committed transaction. */
export type TransactionResult =
  | { type: "create"; path: string }
  | { type: "create2"; path: string; stat: Stat }
  | { type: "delete" }
  | { type: "check" }
  | { type: "setData"; stat: Stat };

/** A transaction the server rejected: nothing was applied. */
export class TransactionError extends KeeperError {
  override name = "TransactionError";
  /** Index of the op that failed. */
  readonly index: number;
  /** Per-op codes: 0 before the failing op, its code, then RUNTIMEINCONSISTENCY (−2). */
  readonly codes: number[];

  /** A failure of op `index` with `code`; `codes` holds every op's result code. */
  constructor(code: number, path: string | undefined, index: number, codes: number[]) {
    super(code, path, `op ${index} of the transaction failed, nothing was applied`);
    this.index = index;
    this.codes = codes;
  }
}

/** Ops collected for one multi request. */
export class Transaction {
  #session: Session;
  #toServer: (path: string, sequential?: boolean) => string;
  #toClient: (path: string) => string;
  #defaultAcl: (path: string) => readonly ACL[];
  #ops: MultiOp[] = [];
  #paths: string[] = [];

  /** Used by ZooKeeperClient.transaction(); paths are mapped through the client's chroot. */
  constructor(
    session: Session,
    toServer: (path: string, sequential?: boolean) => string,
    toClient: (path: string) => string,
    defaultAcl: (path: string) => readonly ACL[] = () => OPEN_ACL_UNSAFE,
  ) {
    this.#session = session;
    this.#defaultAcl = defaultAcl;
    this.#toServer = toServer;
    this.#toClient = toClient;
  }

  /** Number of ops so far. */
  get size(): number {
    return this.#ops.length;
  }

  /** Create a node (withStat: a create2 result with the new Stat). */
  create(path: string, data?: NodeData, options: CreateOptions & { withStat?: boolean } = {}): this {
    const acl: readonly ACL[] = options.acl ?? this.#defaultAcl(path);
    const op = options.container ? OpCode.createContainer : options.withStat ? OpCode.create2 : OpCode.create;
    this.#ops.push({
      op,
      path: this.#toServer(path, options.sequential),
      data: toBytes(data),
      acl,
      flags: createFlags(options),
    });
    this.#paths.push(path);
    return this;
  }

  /** Delete a node; version −1 matches any version. */
  delete(path: string, version = -1): this {
    this.#ops.push({ op: OpCode.delete, path: this.#toServer(path), version });
    this.#paths.push(path);
    return this;
  }

  /** Replace a node's data; version −1 matches any version. */
  setData(path: string, data: NodeData, version = -1): this {
    this.#ops.push({ op: OpCode.setData, path: this.#toServer(path), data: toBytes(data), version });
    this.#paths.push(path);
    return this;
  }

  /** Fail the whole transaction unless path is at this version. */
  check(path: string, version: number): this {
    this.#ops.push({ op: OpCode.check, path: this.#toServer(path), version });
    this.#paths.push(path);
    return this;
  }

  /** Send it: every op's result, or TransactionError naming the op that failed. */
  async commit(): Promise<TransactionResult[]> {
    if (this.#ops.length === 0) return [];
    const reply = await this.#session.submit({ op: OpCode.multi, ops: this.#ops }, undefined);
    const codes = reply.results.map((result) => result.type === OpCode.error ? result.err : ErrorCode.ok);
    const failed = codes.findIndex((code) =>
      code !== ErrorCode.ok && code !== ErrorCode.runtimeInconsistency
    );
    const index = failed >= 0 ? failed : codes.findIndex((code) => code !== ErrorCode.ok);
    if (index >= 0) throw new TransactionError(codes[index], this.#paths[index], index, codes);
    return reply.results.map((result): TransactionResult => {
      switch (result.type) {
        case OpCode.create:
          return { type: "create", path: this.#toClient(result.path) };
        case OpCode.create2:
          return { type: "create2", path: this.#toClient(result.path), stat: result.stat };
        case OpCode.delete:
          return { type: "delete" };
        case OpCode.check:
          return { type: "check" };
        case OpCode.setData:
          return { type: "setData", stat: result.stat };
        default:
          throw new KeeperError(
            ErrorCode.marshallingError,
            undefined,
            `Unexpected multi result type ${result.type}`,
          );
      }
    });
  }
}
