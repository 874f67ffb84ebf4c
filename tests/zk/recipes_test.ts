/**
 * Recipes (leader election, group membership, distributed lock) against real servers through the
 * server-agnostic fixture. Every participant has its own client, hence its own session.
 */
import assert from "node:assert/strict";
import { type ClientOptions, ZooKeeperClient } from "../../src/zk/client/mod.ts";
import {
  DistributedLock,
  type ElectionEvent,
  GroupMembership,
  LeaderElection,
  type MembershipChange,
} from "../../src/zk/recipes/mod.ts";
import { eventually } from "../helpers/program.ts";
import { expireSession, zkServerTest } from "../helpers/zk-servers.ts";

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

function connect(connectString: string, options: ClientOptions = {}): Promise<ZooKeeperClient> {
  return ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 10_000, ...options });
}

/** Closes every client at the end of the test. */
function clients(): { add(client: ZooKeeperClient): ZooKeeperClient } & AsyncDisposable {
  const all: ZooKeeperClient[] = [];
  return {
    add(client) {
      all.push(client);
      return client;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(all.map((client) => client.close()));
    },
  };
}

function record<T>(stream: { subscribe(listener: (event: T) => void): () => void }): T[] {
  const events: T[] = [];
  stream.subscribe((event) => events.push(event));
  return events;
}

zkServerTest("election: the smallest node leads; only the successor wakes when it leaves", async (server) => {
  await using pool = clients();
  const candidates: LeaderElection[] = [];
  const events: ElectionEvent[][] = [];
  for (const name of ["a", "b", "c"]) {
    const client = pool.add(await connect(server.connectString));
    const election = new LeaderElection(client, "/election", { data: name });
    events.push(record(election.events));
    await election.start();
    candidates.push(election);
  }
  const [a, b, c] = candidates;
  assert.equal(a.isLeader, true);
  assert.equal(b.isLeader, false);
  assert.equal(c.isLeader, false);
  assert.equal(text((await c.leader())!.data), "a");
  assert.deepEqual(events[0], [{ type: "elected" }]);
  assert.equal(events[1][0].type, "following");

  await a.stop();
  await b.waitUntilLeader();
  assert.deepEqual(events[0], [{ type: "elected" }, { type: "lost", reason: "stopped" }]);
  assert.equal(text((await c.leader())!.data), "b");
  // A round trip on c's connection after the change: any notification for c would be here by now.
  await pool.add(await connect(server.connectString)).sync("/election");
  await eventually("c has seen the leader's node go", async () => (await c.leader())?.name !== undefined);
  assert.equal(b.wakeups, 1, "the successor woke once");
  assert.equal(c.wakeups, 0, "no herd: c watches b, not the leader");
  assert.equal(c.isLeader, false);

  await b.stop();
  await c.waitUntilLeader();
  assert.equal(c.wakeups, 1);
});

zkServerTest(
  "election: the leader learns it lost when its session ends, and the next one leads",
  async (server) => {
    await using pool = clients();
    const leaderClient = await connect(server.connectString, { reconnectDelayMs: 1000 });
    const leader = new LeaderElection(leaderClient, "/ctrl", { data: "1" });
    const leaderEvents = record(leader.events);
    await leader.start();
    const follower = new LeaderElection(pool.add(await connect(server.connectString)), "/ctrl", {
      data: "2",
    });
    await follower.start();
    assert.equal(leader.isLeader, true);
    assert.equal(follower.isLeader, false);

    // Expire the leader's session from outside (attach to it, then close it).
    await expireSession(server.connectString, leaderClient);
    await follower.waitUntilLeader();
    await eventually(
      "the old leader hears of the expiry",
      () => leaderEvents.some((event) => event.type === "lost"),
    );
    assert.equal(leader.isLeader, false);
    assert.deepEqual(leaderEvents.at(-1), { type: "lost", reason: "session expired" });
    await leaderClient.close();
  },
);

zkServerTest("election: a leader cut off for longer than its session timeout steps down", async (server) => {
  await using pool = clients();
  const client = pool.add(await connect(server.connectString, { sessionTimeoutMs: 4_000 }));
  const election = new LeaderElection(client, "/cut");
  const events = record(election.events);
  await election.start();
  assert.equal(election.isLeader, true);

  await server.stop();
  // By now the server may have expired the session and another candidate may lead: stop acting.
  await eventually("leadership lost while cut off", () => !election.isLeader, 60_000);
  assert.deepEqual(events.at(-1), {
    type: "lost",
    reason: "disconnected for longer than the session timeout",
  });

  // Both servers give a restarted session its whole timeout to re-attach: the node is still ours.
  await server.start();
  await eventually("leading again after the re-attach", () => election.isLeader, 60_000);
  assert.deepEqual(events.map((event) => event.type), ["elected", "lost", "elected"]);
});

zkServerTest("election: a leader whose node is deleted steps down and queues again", async (server) => {
  await using pool = clients();
  const admin = pool.add(await connect(server.connectString));
  const one = new LeaderElection(pool.add(await connect(server.connectString)), "/e2");
  const oneEvents = record(one.events);
  await one.start();
  const two = new LeaderElection(pool.add(await connect(server.connectString)), "/e2");
  await two.start();
  await admin.delete(one.nodePath!);
  await two.waitUntilLeader();
  await eventually("one re-joined behind two", async () => (await admin.getChildren("/e2")).length === 2);
  assert.deepEqual(oneEvents[1], { type: "lost", reason: "our election node was deleted" });
  assert.equal(one.isLeader, false);
});

zkServerTest("membership: live list notifications, registry keeps everyone ever seen", async (server) => {
  await using pool = clients();
  const observer = new GroupMembership(pool.add(await connect(server.connectString)), "/brokers");
  const changes: MembershipChange[] = record(observer.events);
  assert.deepEqual(await observer.watch(), []);

  const memberClients = [];
  for (const id of ["1", "2"]) {
    const client = await connect(server.connectString);
    memberClients.push(client);
    await new GroupMembership(client, "/brokers").join(id, `host-${id}:9092`);
  }
  await eventually("both joined", () => changes.at(-1)?.live.length === 2);
  assert.deepEqual(changes.flatMap((change) => change.joined), ["1", "2"]);
  assert.equal(text(await observer.memberData("2")), "host-2:9092");

  await memberClients[0].close(); // member 1 dies: its live node goes with the session
  await eventually("1 left", () => changes.at(-1)?.left.includes("1"));
  assert.deepEqual(changes.at(-1)!.live, ["2"]);
  assert.deepEqual(changes.at(-1)!.registered, ["1", "2"]);
  assert.deepEqual(await observer.registeredMembers(), ["1", "2"]);
  assert.deepEqual(await observer.liveMembers(), ["2"]);

  // Member 1 comes back with new data; a second live claim of the same id is refused.
  const again = pool.add(await connect(server.connectString));
  await new GroupMembership(again, "/brokers").join("1", "host-1:9093");
  await eventually("1 back", () => changes.at(-1)?.joined.includes("1"));
  assert.equal(text(await observer.memberData("1")), "host-1:9093");
  const impostor = pool.add(await connect(server.connectString));
  await assert.rejects(new GroupMembership(impostor, "/brokers").join("1"), /live in another session/);
  await memberClients[1].close();
});

zkServerTest("lock: mutual exclusion among clients, fair order, release wakes the next", async (server) => {
  await using pool = clients();
  let inside = 0;
  let maxInside = 0;
  const order: number[] = [];
  const observer = pool.add(await connect(server.connectString));
  const locks = await Promise.all(
    [0, 1, 2, 3].map(async () =>
      new DistributedLock(pool.add(await connect(server.connectString)), "/locks/x")
    ),
  );
  await Promise.all(locks.map(async (lock, i) => {
    for (let round = 0; round < 3; round++) {
      assert.equal(await lock.acquire(), true);
      assert.equal(lock.held, true);
      inside++;
      maxInside = Math.max(maxInside, inside);
      order.push(i);
      // Round trips to the server inside the critical section give the others time to (wrongly) enter.
      await observer.sync("/");
      await observer.getChildren("/locks/x");
      inside--;
      await lock.release();
      assert.equal(lock.held, false);
    }
  }));
  assert.equal(maxInside, 1, "never two holders at once");
  assert.equal(order.length, 12);
});

zkServerTest("lock: acquire times out while another holds it, and leaves no node behind", async (server) => {
  await using pool = clients();
  const admin = pool.add(await connect(server.connectString));
  const holder = new DistributedLock(pool.add(await connect(server.connectString)), "/locks/y");
  const waiterClient = await connect(server.connectString);
  const waiter = new DistributedLock(waiterClient, "/locks/y");
  assert.equal(await holder.acquire(5_000), true);
  assert.equal(await waiter.acquire(300), false);
  assert.equal(waiter.held, false);
  assert.equal((await admin.getChildren("/locks/y")).length, 1, "the timed-out waiter removed its node");

  const acquired = waiter.acquire(60_000);
  await eventually("waiter queued", async () => (await admin.getChildren("/locks/y")).length === 2);
  await holder.release();
  assert.equal(await acquired, true);

  // A holder whose session ends releases the lock for the next one.
  const third = new DistributedLock(pool.add(await connect(server.connectString)), "/locks/y");
  const thirdAcquired = third.acquire(60_000);
  await eventually("third queued", async () => (await admin.getChildren("/locks/y")).length === 2);
  await waiterClient.close();
  assert.equal(waiter.held, false);
  assert.equal(await thirdAcquired, true);
});
