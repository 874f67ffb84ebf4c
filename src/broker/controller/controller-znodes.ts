/**
 * The controller's znodes (Kafka's layout, readable in zkCli):
 *
 *   /controller_election/c-0000000007   ephemeral sequential: one candidate per broker, data = id
 *   /controller_epoch                   persistent: the epoch as a decimal string, raised by one
 *                                       (compare-and-set) by every new controller
 *   /controller                         ephemeral: {"version":1,"brokerid":2,"epoch":7,"timestamp":"…"}
 *
 * Read back data is untrusted: a bad /controller or /controller_epoch is reported, not trusted.
 */

export const CONTROLLER_ELECTION_PATH = "/controller_election";
export const CANDIDATE_PREFIX = "c-";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Who the controller is. */
export interface ControllerInfo {
  brokerId: number;
  epoch: number;
}

export function encodeController(info: ControllerInfo): Uint8Array {
  return encoder.encode(
    JSON.stringify({ version: 1, brokerid: info.brokerId, epoch: info.epoch, timestamp: String(Date.now()) }),
  );
}

/** The /controller node's content, or null when it is not a valid one. */
export function decodeController(bytes: Uint8Array | null): ControllerInfo | null {
  if (bytes === null) return null;
  try {
    const value = JSON.parse(decoder.decode(bytes));
    const brokerId = value?.brokerid;
    const epoch = value?.epoch ?? -1;
    if (!Number.isSafeInteger(brokerId) || !Number.isSafeInteger(epoch)) return null;
    return { brokerId, epoch };
  } catch {
    // Malformed /controller: treated as no controller (the caller waits for a valid one).
    return null;
  }
}

export function encodeControllerEpoch(epoch: number): Uint8Array {
  return encoder.encode(String(epoch));
}

/** The epoch stored in /controller_epoch; throws on anything but a non-negative integer. */
export function decodeControllerEpoch(bytes: Uint8Array | null): number {
  const text = bytes === null ? "" : decoder.decode(bytes).trim();
  if (!/^\d{1,9}$/.test(text)) {
    throw new Error(`/controller_epoch: expected an integer, got "${text.slice(0, 20)}"`);
  }
  return Number(text);
}
