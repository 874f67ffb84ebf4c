/**
 * WireError: bytes from a socket or a file do not follow the format. Callers at a
 * protocol boundary catch it to answer with a protocol error or close the connection.
 */
export class WireError extends Error {
  override name = "WireError";
}
