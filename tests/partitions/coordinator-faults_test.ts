/**
 * Issue 9, faults between the brokers and the coordinator: the controller cut from the
 * coordinator (its session expires: it steps down, its partitions move, it rejoins), the
 * coordinator cut from every broker for longer than the session timeout (leaders keep taking
 * acks=all writes meanwhile; afterwards the cluster is whole without a restart), and a broker
 * paused (SIGSTOP) past its session (its partitions move; after SIGCONT it re-registers and
 * rejoins). Every broker is still running at the end; nothing acknowledged is lost.
 */
import { NETNS_PEERS } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { assertRunPassed, partitionRun } from "./partition-run.ts";

peerTest(
  "expired sessions (controller cut off, coordinator outage, paused broker) are events, not exits",
  NETNS_PEERS,
  async () => {
    assertRunPassed(
      await partitionRun({
        kinds: ["controller-cut-from-coordinator", "coordinator-outage", "broker-paused"],
        rounds: 2,
      }),
    );
  },
);
