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

/** Parse a ZooKeeper connect string HOST:PORT[,HOST:PORT][/chroot]. */
export function connectStringOption(value: string): string {
  try {
    parseConnectString(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value.trim();
}

const RATE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parse a byte rate like 10MB, 500KB, 1MiB or 1048576 (per second; "/s" may follow) into bytes/s. */
export function byteRateOption(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(?:\/s)?\s*$/i.exec(value);
  const unit = match ? RATE_UNITS[match[2].toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!(bytes >= 1) || !Number.isSafeInteger(bytes)) {
    throw new InvalidArgumentError(`expected a rate like 10MB, 500KB or 1048576 (bytes/s), got "${value}"`);
  }
  return bytes;
}
