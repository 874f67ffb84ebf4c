/**
 * `deno task bench [NAME…]`: runs the named benchmarks (all when none are named).
 * Each benchmark is a module in this folder exporting `run(): Promise<void>` that prints
 * its own table; they run one after another so they do not disturb each other.
 */
const BENCHMARKS = [
  "crc32c",
  "record-batch",
  "storage",
  "coordinator",
  "broker",
  "fetch-sizes",
  "cluster",
  "cluster-failover",
  "partitions",
  "scale",
  "groups",
  "compaction",
  "exactly-once",
  "security",
  "console",
  "reassign",
] as const;

const requested = Deno.args.length > 0 ? Deno.args : [...BENCHMARKS];
for (const name of requested) {
  if (!(BENCHMARKS as readonly string[]).includes(name)) {
    console.error(`error: unknown benchmark "${name}" (choose from: ${BENCHMARKS.join(", ")})`);
    Deno.exit(2);
  }
}
for (const name of requested) {
  const url = new URL(`./${name}.ts`, import.meta.url);
  try {
    await Deno.stat(url);
  } catch {
    console.log(`\n## ${name}: not written yet`);
    continue;
  }
  console.log(`\n## ${name}`);
  const module = await import(url.href) as { run: () => Promise<void> };
  await module.run();
}
