/** Bytes shared by both protocols: Reader/Writer, varints, CRC-32C, framing. */
export { Reader } from "./reader.ts";
export { Writer } from "./writer.ts";
export { WireError } from "./wire-error.ts";
export { crc32c, crc32cUpdate } from "./crc32c.ts";
export { frame, FrameDecoder } from "./frame-decoder.ts";
