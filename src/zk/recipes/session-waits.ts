/** Small waits on a client's session that the recipes share. */
import { ErrorCode, KeeperError } from "../protocol/mod.ts";
import type { ZooKeeperClient } from "../client/client.ts";

/**
 * Resolve when the client is connected; reject with SESSIONEXPIRED / CONNECTIONLOSS when the
 * session ends, or OPERATIONTIMEOUT at deadlineMs (a Date.now() value; Infinity = no deadline).
 */
export function waitConnected(client: ZooKeeperClient, deadlineMs = Infinity): Promise<void> {
  if (client.state === "connected") return Promise.resolve();
  if (client.state === "expired") return Promise.reject(new KeeperError(ErrorCode.sessionExpired));
  if (client.state === "closed") {
    return Promise.reject(new KeeperError(ErrorCode.connectionLoss, undefined, "Client is closed"));
  }
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = client.sessionEvents.subscribe((event) => {
      if (event.type === "connected") finish();
      else if (event.type === "expired") finish(new KeeperError(ErrorCode.sessionExpired));
      else if (event.type === "closed") {
        finish(new KeeperError(ErrorCode.connectionLoss, undefined, "Client is closed"));
      }
    });
    if (deadlineMs !== Infinity) {
      timer = setTimeout(
        () => finish(new KeeperError(ErrorCode.operationTimeout, undefined, "Not connected in time")),
        Math.max(0, deadlineMs - Date.now()),
      );
    }
    function finish(error?: Error) {
      clearTimeout(timer);
      unsubscribe();
      if (error) reject(error);
      else resolve();
    }
  });
}
