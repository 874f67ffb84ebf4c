/**
 * StorageError: a request the partition log refuses (bad batch, offset outside the log) or a file
 * it cannot trust. It carries the Kafka error code the broker puts in its response, so the broker
 * maps it without a table of its own.
 *
 * @example
 * ```ts
 * try {
 *   log.appendAsLeader(bytes, epoch);
 * } catch (error) {
 *   if (error instanceof StorageError) return error.errorCode; // e.g. CORRUPT_MESSAGE (2)
 *   throw error;
 * }
 * ```
 */
import { ErrorCode } from "../kafka/errors.ts";

export class StorageError extends Error {
  override name = "StorageError";
  /** The Kafka error code for a response (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, …). */
  readonly errorCode: number;

  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

/** A batch failed its magic, length or CRC check (Kafka CORRUPT_MESSAGE). */
export function corruptBatch(message: string): StorageError {
  return new StorageError(ErrorCode.CORRUPT_MESSAGE, message);
}

/** Old magic 0/1 message sets (sent only with Produce v0-2): Kafka UNSUPPORTED_FOR_MESSAGE_FORMAT. */
export function unsupportedFormat(message: string): StorageError {
  return new StorageError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, message);
}

/** A batch is larger than the topic's max.message.bytes (Kafka MESSAGE_TOO_LARGE). */
export function batchTooLarge(message: string): StorageError {
  return new StorageError(ErrorCode.MESSAGE_TOO_LARGE, message);
}

/** An offset is outside [logStartOffset, logEndOffset] (Kafka OFFSET_OUT_OF_RANGE). */
export function offsetOutOfRange(message: string): StorageError {
  return new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, message);
}

/** The log's files failed (a full disk, an I/O error): Kafka KAFKA_STORAGE_ERROR, retriable elsewhere. */
export function storageFailure(message: string): StorageError {
  return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, message);
}

/** A follower append whose offsets do not continue the log, or another broken invariant. */
export function unknownServerError(message: string): StorageError {
  return new StorageError(ErrorCode.UNKNOWN_SERVER_ERROR, message);
}
