/**
 * Hostile bytes from many connections at once (seeded, so every run sends the same bytes): the
 * coordinator process survives, and a well-behaved session keeps working throughout.
 */
import assert from "node:assert/strict";
import { freePort, startProgram, tempDir } from "../helpers/program.ts";
import { RawZk } from "../helpers/zk-raw.ts";
import { Writer } from "../../src/wire/mod.ts";
import { encodeConnectRequest, OpCode, OPEN_ACL_UNSAFE } from "../../src/zk/protocol/mod.ts";

/** mulberry32: a tiny seeded PRNG, so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPS = [
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  11,
  12,
  13,
  14,
  15,
  17,
  18,
  19,
  21,
  100,
  101,
  103,
  104,
  105,
  106,
  107,
  -11,
];

function hostileSession(next: () => number): Uint8Array {
  const writer = new Writer();
  const handshake = encodeConnectRequest({
    protocolVersion: 0,
    lastZxidSeen: 0,
    timeOutMs: 30_000,
    sessionId: 0n,
    passwd: new Uint8Array(16),
    readOnly: false,
  });
  writer.raw(handshake);
  const requests = 1 + Math.floor(next() * 20);
  for (let i = 0; i < requests; i++) {
    const body = new Uint8Array(Math.floor(next() * 64)).map(() => Math.floor(next() * 256));
    // Bias some bodies towards plausible shapes: a small length prefix, then '/'.
    if (body.length > 6 && next() < 0.5) body.set([0, 0, 0, Math.min(body.length - 4, 3), 0x2f], 0);
    const op = OPS[Math.floor(next() * OPS.length)];
    const payload = new Writer().int32(i + 1).int32(op).raw(body).toBytes();
    writer.int32(payload.length).raw(payload);
  }
  if (next() < 0.3) writer.raw(new Uint8Array(8).map(() => Math.floor(next() * 256))); // trailing junk
  return writer.toBytes();
}

Deno.test("random requests and garbage from many connections never take the coordinator down", async () => {
  await using dir = await tempDir();
  const port = freePort();
  await using program = await startProgram(
    ["coordinator", "start", "--port", String(port), "--data-dir", dir.path, "--max-frame-bytes", "4096"],
    port,
  );
  using bystander = await RawZk.connect(port);
  assert.equal(
    (await bystander.request({
      op: OpCode.create,
      path: "/alive",
      data: null,
      acl: OPEN_ACL_UNSAFE,
      flags: 0,
    }))
      .err,
    0,
  );
  const next = random(20261122);
  for (let round = 0; round < 10; round++) {
    const sends = Array.from({ length: 20 }, async () => {
      const bytes = next() < 0.2
        ? new Uint8Array(Math.floor(next() * 200)).map(() => Math.floor(next() * 256)) // pure garbage
        : hostileSession(next);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(bytes);
        // Read whatever comes back until the server closes or goes quiet.
        const buffer = new Uint8Array(4096);
        const timer = setTimeout(() => conn.close(), 500);
        try {
          while ((await conn.read(buffer)) !== null) { /* drain */ }
        } catch { /* closed by the timer or reset */ }
        clearTimeout(timer);
      } finally {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    });
    await Promise.all(sends);
    assert.equal(program.exited, false, `coordinator exited in round ${round}: ${program.stderr}`);
    const check = await bystander.request({ op: OpCode.exists, path: "/alive", watch: false });
    assert.equal(check.err, 0, `bystander after round ${round}`);
  }
  // The server logs only unexpected failures (its own bugs), never a client's bad bytes.
  assert.equal(program.stderr, "");
});
