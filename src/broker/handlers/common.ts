/**
 * Small helpers several handlers share: bounded waits for the metadata cache, and turning a
 * failure into the error code (and message) a response carries.
 */
import { ErrorCode, KafkaError } from "../../kafka/errors.ts";
import { StorageError } from "../../storage/storage-error.ts";
import type { AdminOutcome } from "../topic-admin.ts";
import { logLine } from "../log-lines.ts";

/** An unexpected failure (e.g. the coordinator unreachable) as a per-topic error, logged. */
export function serverError(error: unknown): AdminOutcome {
  logLine(`admin request failed: ${(error as Error).message}`);
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (error as Error).message };
}

/**
 * The error code a partition's response carries for a failure: a KafkaError's or StorageError's
 * own code; anything else is unexpected, so it is logged and answered UNKNOWN_SERVER_ERROR.
 */
export function partitionErrorCode(error: unknown, what: string): number {
  if (error instanceof KafkaError) return error.code;
  if (error instanceof StorageError) return error.errorCode;
  logLine(`${what}: ${(error as Error).stack ?? error}`);
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** A request's timeout_ms as a bounded wait: negative means none, and never past capMs. */
export function boundedTimeoutMs(requested: number, capMs: number): number {
  return Math.min(Math.max(requested, 0), capMs);
}
