import assert from "node:assert/strict";
import { type Deadline, DeadlineQueue } from "../src/deadline-queue.ts";
import { Purgatory } from "../src/broker/purgatory.ts";

interface Entry extends Deadline {
  name: string;
}

function entry(name: string, inMs: number): Entry {
  return { name, deadline: performance.now() + inMs, deadlineSlot: -1 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("entries expire in deadline order, at their deadlines; one removed early never does", async () => {
  const expired: string[] = [];
  const queue: DeadlineQueue<Entry> = new DeadlineQueue((e) => {
    assert.equal(e.deadlineSlot, -1, "an expired entry has left the queue");
    expired.push(e.name);
  });
  const started = performance.now();
  const late = entry("late", 60);
  queue.add(late);
  queue.add(entry("early", 10));
  const woken = entry("woken", 5);
  queue.add(woken);
  queue.add(entry("middle", 30));
  queue.remove(woken); // ended early by its owner
  queue.remove(woken); // twice: nothing
  assert.equal(queue.size, 3);
  await sleep(40);
  assert.deepEqual(expired, ["early", "middle"]);
  await sleep(40);
  assert.deepEqual(expired, ["early", "middle", "late"]);
  assert.ok(performance.now() - started >= 60);
  assert.equal(queue.size, 0);
});

Deno.test("entries removed from anywhere in the heap leave the rest expiring in deadline order", async () => {
  // A busy broker's waits end early in any order; each removal moves another entry in the heap.
  const expired: Entry[] = [];
  const queue = new DeadlineQueue<Entry>((e) => expired.push(e));
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const entries = Array.from({ length: 2_000 }, (_, i) => entry(`e${i}`, 20 + random() * 40));
  for (const e of entries) queue.add(e);
  const removed = new Set<Entry>();
  while (removed.size < 1_000) {
    const e = entries[Math.floor(random() * entries.length)];
    if (removed.has(e)) continue;
    queue.remove(e);
    removed.add(e);
    assert.equal(queue.size, 2_000 - removed.size);
  }
  await sleep(120);
  const kept = entries.filter((e) => !removed.has(e)).sort((a, b) => a.deadline - b.deadline);
  assert.deepEqual(expired.map((e) => e.name), kept.map((e) => e.name));
  assert.equal(queue.size, 0);
});

Deno.test("no entry left: the timer set for a removed one keeps no process alive", async () => {
  // A process whose only wait ended early must exit at once, not when the 60 s timer fires.
  const module = new URL("../src/deadline-queue.ts", import.meta.url).href;
  const script = `import { DeadlineQueue } from "${module}";
    const queue = new DeadlineQueue(() => { throw new Error("expired"); });
    const entry = { deadline: performance.now() + 60_000, deadlineSlot: -1 };
    queue.add(entry);
    queue.remove(entry);`;
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", script], stdout: "null", stderr: "piped" })
    .spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const status = await child.output();
    assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
    assert.equal(status.signal, null, "still running 30 s later: the removed wait's timer held the process");
  } finally {
    clearTimeout(killer);
  }
});

Deno.test("purgatory: waits woken early leave the others' timeouts working", async () => {
  const purgatory = new Purgatory(100);
  const long = purgatory.wait(["b"], 80);
  const short = purgatory.wait(["a"], 20); // earlier than every deadline so far
  const woken = purgatory.wait(["a"], 10);
  purgatory.wake("a"); // ends short and woken; the timer set for them finds nothing due
  assert.deepEqual(await Promise.all([short, woken]), ["woken", "woken"]);
  const started = performance.now();
  const later = purgatory.wait(["c"], 30);
  assert.equal(await later, "timeout");
  assert.ok(performance.now() - started >= 29, "a wait times out at its own deadline, not earlier");
  assert.equal(await long, "timeout");
  assert.equal(purgatory.size, 0);
});
