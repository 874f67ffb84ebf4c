/**
 * CRC-32C: the project's slicing-by-8 JavaScript against hash-wasm's WebAssembly engine, on
 * record and batch-sized inputs, and crc32c() as shipped (which picks one by size).
 */
import { crc32c, crc32cUpdate } from "../src/wire/crc32c.ts";
import { createCRC32 } from "hash-wasm";

export async function run(): Promise<void> {
  const wasm = await createCRC32(0x82f63b78);
  const rows: string[][] = [];
  for (const sizeBytes of [100, 16_384, 1_048_576]) {
    const data = new Uint8Array(sizeBytes).map((_, i) => (i * 7919) & 0xff);
    const totalBytes = 256 * 1024 * 1024;
    const rounds = Math.max(1, Math.floor(totalBytes / sizeBytes));
    const ours = throughput(() => crc32cUpdate(0, data), rounds, sizeBytes);
    const chosen = throughput(() => crc32c(data), rounds, sizeBytes);
    const theirs = throughput(
      () => {
        wasm.init();
        wasm.update(data);
        return wasm.digest("binary");
      },
      rounds,
      sizeBytes,
    );
    wasm.init();
    wasm.update(data);
    const wasmValue = new DataView(wasm.digest("binary").buffer).getUint32(0);
    if (wasmValue !== crc32c(data)) throw new Error("hash-wasm and crc32c disagree");
    rows.push([`${sizeBytes}`, ours.toFixed(0), theirs.toFixed(0), chosen.toFixed(0)]);
  }
  console.log("| input bytes | slicing-by-8 JS MB/s | hash-wasm MB/s | crc32c() as shipped MB/s |");
  console.log("|---:|---:|---:|---:|");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

function throughput(fn: () => unknown, rounds: number, sizeBytes: number): number {
  for (let i = 0; i < Math.min(rounds, 100); i++) fn();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) fn();
  const seconds = (performance.now() - start) / 1000;
  return (rounds * sizeBytes) / seconds / 1e6;
}
