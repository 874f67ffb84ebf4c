/**
 * CliError: a failure the user can act on. main.ts prints `error: <message>` on one
 * line (never a stack trace) and exits with exitCode: 2 for usage errors, 1 otherwise.
 *
 * @example
 * ```ts
 * throw new CliError(`topic "orders" does not exist (create it with: vltava topic create orders)`);
 * ```
 */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A usage error: bad flag values or arguments (exit code 2). */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}
