import assert from "node:assert/strict";
import { PartitionLog } from "../../src/storage/mod.ts";
import { validateBatch } from "../../src/kafka/record-batch.ts";
import { tempLogDir } from "./batches.ts";

/** Start the writer, wait until it has promised `flushes` fsyncs, SIGKILL it; the last promise. */
async function writeUntilKilled(dir: string, flushes: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./crash-writer.ts", import.meta.url).pathname, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let lastFlushed = -1;
  let lines = 0;
  let pending = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (lines < flushes) {
      const { value, done } = await reader.read();
      if (done) throw new Error("Writer exited early");
      pending += value;
      const parts = pending.split("\n");
      pending = parts.pop()!;
      for (const part of parts) {
        lastFlushed = Number(part);
        lines++;
      }
    }
  } finally {
    child.kill("SIGKILL");
    await reader.cancel();
    await child.status;
  }
  return lastFlushed;
}

Deno.test("SIGKILL during appends: every flushed record survives, offsets continue, every batch checks out", async () => {
  using dir = tempLogDir();
  for (let round = 0; round < 2; round++) {
    const flushed = await writeUntilKilled(dir.path, 40);
    assert.ok(flushed > 0);
    const lines: string[] = [];
    const log = PartitionLog.open({ dir: dir.path, logger: (line) => lines.push(line) });
    assert.ok(log.logEndOffset >= flushed, `LEO ${log.logEndOffset} below the flushed ${flushed}`);
    let expected = 0;
    for (let offset = 0; offset < log.logEndOffset;) {
      const { records } = log.read(offset, 1 << 20);
      assert.ok(records.length > 0);
      for (let at = 0; at < records.length;) {
        const header = validateBatch(records, at);
        assert.equal(header.baseOffset, expected);
        expected = header.baseOffset + header.lastOffsetDelta + 1;
        at += 12 + header.batchLength;
      }
      offset = expected;
    }
    assert.equal(expected, log.logEndOffset);
    log.close();
  }
});
