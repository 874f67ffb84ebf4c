/**
 * CRC-32C engines side by side on record- and batch-sized inputs: our slicing-by-8 JavaScript,
 * hash-wasm's WebAssembly, @node-rs/crc32's native (CPU instruction) engine, and crc32c() as
 * shipped, which picks one by size. This is what chose the engines in src/wire/crc32c.ts.
 */
import { crc32c, crc32cNative, crc32cUpdate, crc32cWasm } from "../src/wire/crc32c.ts";

export function run(): Promise<void> {
  console.log(
    "| input bytes | slicing-by-8 JS MB/s | hash-wasm MB/s | @node-rs/crc32 MB/s | crc32c() as shipped MB/s |",
  );
  console.log("|---:|---:|---:|---:|---:|");
  for (const sizeBytes of [100, 1024, 4096, 16_384, 1_048_576]) {
    const data = new Uint8Array(sizeBytes).map((_, i) => (i * 7919) & 0xff);
    const expected = crc32cUpdate(0, data);
    if (crc32cWasm(data) !== expected || (crc32cNative && crc32cNative(data) !== expected)) {
      throw new Error("CRC-32C engines disagree");
    }
    const rounds = Math.max(1, Math.floor(128 * 1024 * 1024 / sizeBytes));
    const cells = [
      throughput(() => crc32cUpdate(0, data), rounds, sizeBytes),
      throughput(() => crc32cWasm(data), rounds, sizeBytes),
      crc32cNative ? throughput(() => crc32cNative!(data), rounds, sizeBytes) : undefined,
      throughput(() => crc32c(data), rounds, sizeBytes),
    ].map((value) => value === undefined ? "n/a" : value.toFixed(0));
    console.log(`| ${sizeBytes} | ${cells.join(" | ")} |`);
  }
  return Promise.resolve();
}

function throughput(fn: () => unknown, rounds: number, sizeBytes: number): number {
  for (let i = 0; i < Math.min(rounds, 100); i++) fn();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) fn();
  const seconds = (performance.now() - start) / 1000;
  return (rounds * sizeBytes) / seconds / 1e6;
}
