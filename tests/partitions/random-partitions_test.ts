/**
 * Issue 9, random partitions: rounds of one or two random links among the coordinator and the
 * brokers cut both ways, held past the session timeout, then healed. After each heal every broker
 * is running, every partition led, in sync and writable; at the end nothing acknowledged is lost,
 * no offset holds two values, no consumer read backwards or read what later vanished, and the
 * replicas are byte-identical.
 */
import { NETNS_PEERS } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { assertRunPassed, partitionRun } from "./partition-run.ts";

peerTest("random pairs of links cut and healed, round after round", NETNS_PEERS, async () => {
  assertRunPassed(await partitionRun({ kinds: ["random-pairs"], rounds: 5 }));
});
