/**
 * A Kafka request as it goes on the wire: length prefix, header (client id "test"), body.
 *
 * @example
 * ```ts
 * await conn.write(request(ApiKey.Metadata, 1, 7));
 * ```
 */
import { Writer } from "../../src/wire/writer.ts";
import { writeRequestHeader } from "../../src/kafka/header.ts";

export function request(apiKey: number, apiVersion: number, correlationId: number, body = new Uint8Array()) {
  const writer = new Writer().int32(0);
  writeRequestHeader(writer, { apiKey, apiVersion, correlationId, clientId: "test" });
  writer.raw(body);
  const bytes = writer.toBytes();
  new DataView(bytes.buffer).setInt32(0, bytes.length - 4);
  return bytes;
}
