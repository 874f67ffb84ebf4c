/** Option parsers shared by every command: they turn bad values into usage errors. */
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { parseConnectString } from "../zk/client/connect-string.ts";

/** Parse an integer flag within [min, max]. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got ${parsed}`);
    }
    return parsed;
  };
}

/** Parse HOST:PORT. */
export function hostPortOption(value: string): string {
  const match = /^(.+):(\d{1,5})$/.exec(value.trim());
  if (!match || Number(match[2]) > 65535) {
    throw new InvalidArgumentError(`expected HOST:PORT, got "${value}"`);
  }
  return value.trim();
}

/** Parse a ZooKeeper connect string HOST:PORT[,HOST:PORT][/chroot]. */
export function connectStringOption(value: string): string {
  try {
    parseConnectString(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value.trim();
}
