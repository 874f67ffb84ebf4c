/**
 * Whole length-prefixed messages, for callers that build one frame at a time:
 *
 *   frame        => length int, payload
 *   request      => RequestHeader, body            (ConnectRequest has no header)
 *   reply        => ReplyHeader, body if err = 0
 *   notification => ReplyHeader{-1, -1, 0}, WatcherEvent
 */
import { Writer } from "../../wire/writer.ts";
import { Xid } from "./codes.ts";
import {
  type ConnectRequest,
  type ConnectResponse,
  writeConnectRequest,
  writeConnectResponse,
} from "./connect.ts";
import { type WatcherEvent, writeReplyHeader, writeRequestHeader, writeWatcherEvent } from "./records.ts";
import { writeRequestBody, type ZkRequest } from "./requests.ts";
import { writeResponseBody, type ZkResponse } from "./responses.ts";

function framed(writer: Writer, fill: (writer: Writer) => void): Uint8Array {
  const start = writer.length;
  writer.int32(0);
  fill(writer);
  writer.setInt32At(start, writer.length - start - 4);
  return writer.toBytes();
}

/** A framed ConnectRequest. */
export function encodeConnectRequest(request: ConnectRequest): Uint8Array {
  return framed(new Writer(64), (w) => writeConnectRequest(w, request));
}

/** A framed ConnectResponse. */
export function encodeConnectResponse(response: ConnectResponse): Uint8Array {
  return framed(new Writer(64), (w) => writeConnectResponse(w, response));
}

/** A framed request: header {xid, request.op} then the body. */
export function encodeRequest(xid: number, request: ZkRequest, writer = new Writer()): Uint8Array {
  return framed(writer.reset(), (w) => {
    writeRequestHeader(w, { xid, type: request.op });
    writeRequestBody(w, request);
  });
}

/** A framed reply; the body is written only when err = 0 and a body is given. */
export function encodeReply(
  xid: number,
  zxid: number,
  err: number,
  response?: ZkResponse,
  writer = new Writer(),
): Uint8Array {
  return framed(writer.reset(), (w) => {
    writeReplyHeader(w, { xid, zxid, err });
    if (err === 0 && response !== undefined) writeResponseBody(w, response);
  });
}

/** A framed watch notification. */
export function encodeNotification(event: WatcherEvent, writer = new Writer()): Uint8Array {
  return framed(writer.reset(), (w) => {
    writeReplyHeader(w, { xid: Xid.notification, zxid: -1, err: 0 });
    writeWatcherEvent(w, event);
  });
}
