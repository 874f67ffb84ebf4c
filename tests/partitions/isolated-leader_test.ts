/**
 * Issue 9, the isolated leader: a partition leader cut from the coordinator and the other brokers
 * but not from its clients (once a plain leader, once the controller itself). Its partitions must
 * take acks=all writes on a new leader while the cut lasts; after the heal the isolated broker is
 * still running (its expired session is an event, not an exit), rejoins, and catches up; nothing
 * acknowledged is lost and the replicas end byte-identical.
 */
import { NETNS_PEERS } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { assertRunPassed, partitionRun } from "./partition-run.ts";

peerTest(
  "an isolated leader and an isolated controller fail over, survive their expired sessions and rejoin",
  NETNS_PEERS,
  async () => {
    assertRunPassed(
      await partitionRun({ kinds: ["leader-isolated", "controller-leader-isolated"], rounds: 2 }),
    );
  },
);
