/**
 * Issue 9, the cut follower: a follower cut from its leader (both still reach the coordinator)
 * leaves the ISR after replica.lag.time.max.ms, acks=all writes go on with the rest of the ISR,
 * and after the heal it catches up and returns; nothing acknowledged is lost and the replicas
 * end byte-identical.
 */
import { NETNS_PEERS } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { assertRunPassed, partitionRun } from "./partition-run.ts";

peerTest(
  "a follower cut from its leader leaves the ISR and returns after the heal",
  NETNS_PEERS,
  async () => {
    assertRunPassed(await partitionRun({ kinds: ["follower-cut-from-leader"], rounds: 3 }));
  },
);
