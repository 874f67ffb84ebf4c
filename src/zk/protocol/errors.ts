/**
 * ZooKeeper error codes (KeeperException.Code) with names, and KeeperError, the typed exception
 * a client raises for a non-zero reply code. On the wire codes are data in ReplyHeader.err.
 */

/** Error codes as sent in ReplyHeader.err and multi error results. */
export const ErrorCode = {
  ok: 0,
  systemError: -1,
  runtimeInconsistency: -2,
  dataInconsistency: -3,
  connectionLoss: -4,
  marshallingError: -5,
  unimplemented: -6,
  operationTimeout: -7,
  badArguments: -8,
  newConfigNoQuorum: -13,
  reconfigInProgress: -14,
  unknownSession: -12,
  apiError: -100,
  noNode: -101,
  noAuth: -102,
  badVersion: -103,
  noChildrenForEphemerals: -108,
  nodeExists: -110,
  notEmpty: -111,
  sessionExpired: -112,
  invalidCallback: -113,
  invalidAcl: -114,
  authFailed: -115,
  sessionMoved: -118,
  notReadOnly: -119,
  ephemeralOnLocalSession: -120,
  noWatcher: -121,
  requestTimeout: -122,
  reconfigDisabled: -123,
  sessionClosedRequireSaslAuth: -124,
  quotaExceeded: -125,
  throttledOp: -127,
} as const;
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

const NAMES: Record<number, [string, string]> = {
  0: ["OK", "Everything is OK"],
  [-1]: ["SYSTEMERROR", "System error"],
  [-2]: ["RUNTIMEINCONSISTENCY", "Runtime inconsistency"],
  [-3]: ["DATAINCONSISTENCY", "Data inconsistency"],
  [-4]: ["CONNECTIONLOSS", "Connection lost"],
  [-5]: ["MARSHALLINGERROR", "Error while marshalling or unmarshalling data"],
  [-6]: ["UNIMPLEMENTED", "Operation is unimplemented"],
  [-7]: ["OPERATIONTIMEOUT", "Operation timeout"],
  [-8]: ["BADARGUMENTS", "Bad arguments"],
  [-12]: ["UNKNOWNSESSION", "Unknown session"],
  [-13]: ["NEWCONFIGNOQUORUM", "No quorum of new config is connected"],
  [-14]: ["RECONFIGINPROGRESS", "Another reconfiguration is in progress"],
  [-100]: ["APIERROR", "API error"],
  [-101]: ["NONODE", "No node"],
  [-102]: ["NOAUTH", "Not authenticated"],
  [-103]: ["BADVERSION", "Bad version"],
  [-108]: ["NOCHILDRENFOREPHEMERALS", "Ephemeral nodes may not have children"],
  [-110]: ["NODEEXISTS", "Node exists"],
  [-111]: ["NOTEMPTY", "Directory not empty"],
  [-112]: ["SESSIONEXPIRED", "Session expired"],
  [-113]: ["INVALIDCALLBACK", "Invalid callback"],
  [-114]: ["INVALIDACL", "Invalid ACL"],
  [-115]: ["AUTHFAILED", "Authentication failed"],
  [-118]: ["SESSIONMOVED", "Session moved"],
  [-119]: ["NOTREADONLY", "Not a read-only call"],
  [-120]: ["EPHEMERALONLOCALSESSION", "Ephemeral node on local session"],
  [-121]: ["NOWATCHER", "No such watcher"],
  [-122]: ["REQUESTTIMEOUT", "Request timeout"],
  [-123]: ["RECONFIGDISABLED", "Reconfig is disabled"],
  [-124]: ["SESSIONCLOSEDREQUIRESASLAUTH", "Session closed because client failed to authenticate"],
  [-125]: ["QUOTAEXCEEDED", "Quota has exceeded"],
  [-127]: ["THROTTLEDOP", "Op throttled due to high load"],
};

/** The upper-case name of a code, e.g. "NONODE"; "UNKNOWN(-42)" when unknown. */
export function errorName(code: number): string {
  return NAMES[code]?.[0] ?? `UNKNOWN(${code})`;
}

/** A short human description of a code, e.g. "No node". */
export function errorMessage(code: number): string {
  return NAMES[code]?.[1] ?? `Unknown error code ${code}`;
}

/**
 * A failed ZooKeeper operation: carries the wire code, its name and the path (when there is one).
 *
 * @example
 * ```ts
 * try { await zk.create("/a/b"); } catch (e) {
 *   if (e instanceof KeeperError && e.code === ErrorCode.noNode) console.log("parent missing");
 * }
 * ```
 */
export class KeeperError extends Error {
  override name = "KeeperError";
  readonly code: number;
  readonly codeName: string;
  readonly path: string | undefined;

  constructor(code: number, path?: string, detail?: string) {
    const where = path === undefined ? "" : ` for ${path}`;
    super(`${errorName(code)}: ${errorMessage(code)}${where}${detail ? `: ${detail}` : ""}`);
    this.code = code;
    this.codeName = errorName(code);
    this.path = path;
  }

  /** Errors after which the session may still be fine and the request can be retried. */
  get retriable(): boolean {
    return this.code === ErrorCode.connectionLoss || this.code === ErrorCode.operationTimeout ||
      this.code === ErrorCode.requestTimeout || this.code === ErrorCode.throttledOp;
  }
}
