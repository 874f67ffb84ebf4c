import assert from "node:assert/strict";
import { type Deadline, DeadlineQueue } from "../src/deadline-queue.ts";
import { Purgatory } from "../src/broker/purgatory.ts";

interface Entry extends Deadline {
  name: string;
}

function entry(name: string, inMs: number): Entry {
  return { name, deadline: performance.now() + inMs, settled: false };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("entries expire in deadline order, at their deadlines; one settled early never does", async () => {
  const expired: string[] = [];
  const queue: DeadlineQueue<Entry> = new DeadlineQueue((e) => {
    e.settled = true;
    expired.push(e.name);
    queue.settled();
  });
  const started = performance.now();
  const late = entry("late", 60);
  queue.add(late);
  queue.add(entry("early", 10));
  const woken = entry("woken", 5);
  queue.add(woken);
  queue.add(entry("middle", 30));
  woken.settled = true; // ended early by its owner
  queue.settled();
  assert.equal(queue.live, 3);
  await sleep(40);
  assert.deepEqual(expired, ["early", "middle"]);
  await sleep(40);
  assert.deepEqual(expired, ["early", "middle", "late"]);
  assert.ok(performance.now() - started >= 60);
  assert.equal(queue.live, 0);
  assert.equal(queue.held, 0);
});

Deno.test("a heap of entries settled early is rebuilt: it holds about twice the live ones at most", () => {
  const queue = new DeadlineQueue<Entry>(() => assert.fail("nothing is due within the test"));
  const entries = Array.from({ length: 20_000 }, (_, i) => entry(`e${i}`, 60_000 + i));
  for (const e of entries) queue.add(e);
  // The first 19,990 are woken early, most recent first, as a busy broker's waits are.
  for (let i = 19_989; i >= 0; i--) {
    entries[i].settled = true;
    queue.settled();
    assert.ok(queue.held <= 2 * queue.live + 1024, `held ${queue.held} for ${queue.live} live`);
  }
  assert.equal(queue.live, 10);
  queue.close();
});

Deno.test("no live entry: the timer set for a settled one keeps no process alive", async () => {
  // A process whose only wait was settled must exit at once, not when the 60 s timer fires.
  const module = new URL("../src/deadline-queue.ts", import.meta.url).href;
  const script = `import { DeadlineQueue } from "${module}";
    const queue = new DeadlineQueue(() => { throw new Error("expired"); });
    const entry = { deadline: performance.now() + 60_000, settled: false };
    queue.add(entry);
    entry.settled = true;
    queue.settled();`;
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", script], stdout: "null", stderr: "piped" })
    .spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const status = await child.output();
    assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
    assert.equal(status.signal, null, "still running 30 s later: the settled wait's timer held the process");
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
