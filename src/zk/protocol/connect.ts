/**
 * Session handshake records (no request header; the first frame on a connection):
 *
 *   ConnectRequest  => protocolVersion int, lastZxidSeen long, timeOut int, sessionId long,
 *                      passwd buffer, [readOnly boolean]
 *   ConnectResponse => protocolVersion int, timeOut int, sessionId long, passwd buffer,
 *                      [readOnly boolean]
 *
 * The trailing readOnly byte is optional both ways: zkCli and kazoo send it (45-byte request),
 * node-zookeeper-client does not (44 bytes). A server answers with it only if the client sent it.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { WireError } from "../../wire/wire-error.ts";

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: number;
  timeOutMs: number;
  sessionId: bigint;
  passwd: Uint8Array;
  /** undefined: the byte was absent. */
  readOnly?: boolean;
}

export interface ConnectResponse {
  protocolVersion: number;
  /** Negotiated timeout; <= 0 means the session is expired or unknown. */
  timeOutMs: number;
  sessionId: bigint;
  passwd: Uint8Array;
  readOnly?: boolean;
}

/** Session passwords are 16 bytes. */
export const PASSWORD_BYTES = 16;

export function writeConnectRequest(writer: Writer, request: ConnectRequest): void {
  writer.int32(request.protocolVersion).int64n(request.lastZxidSeen).int32(request.timeOutMs)
    .int64(request.sessionId).bytes(request.passwd);
  if (request.readOnly !== undefined) writer.bool(request.readOnly);
}

export function readConnectRequest(reader: Reader): ConnectRequest {
  const request: ConnectRequest = {
    protocolVersion: reader.int32(),
    lastZxidSeen: reader.int64n(),
    timeOutMs: reader.int32(),
    sessionId: reader.int64(),
    passwd: reader.bytes() ?? new Uint8Array(0),
  };
  if (reader.remaining > 0) request.readOnly = reader.bool();
  if (reader.remaining > 0) {
    throw new WireError(`ConnectRequest: ${reader.remaining} unexpected trailing bytes`);
  }
  return request;
}

export function writeConnectResponse(writer: Writer, response: ConnectResponse): void {
  writer.int32(response.protocolVersion).int32(response.timeOutMs).int64(response.sessionId)
    .bytes(response.passwd);
  if (response.readOnly !== undefined) writer.bool(response.readOnly);
}

export function readConnectResponse(reader: Reader): ConnectResponse {
  const response: ConnectResponse = {
    protocolVersion: reader.int32(),
    timeOutMs: reader.int32(),
    sessionId: reader.int64(),
    passwd: reader.bytes() ?? new Uint8Array(0),
  };
  if (reader.remaining > 0) response.readOnly = reader.bool();
  return response;
}
