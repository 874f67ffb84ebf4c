/**
 * Where a follower truncates when it starts following a new leader (KIP-101, KIP-279), from the
 * leader's OffsetForLeaderEpoch answer for the follower's latest epoch:
 *   - the leader knows the epoch: truncate to where it ended on the leader;
 *   - the leader answers with an older epoch (it never saw ours): the logs may have diverged
 *     earlier, so also no further than where that older epoch ends in our own log;
 *   - the leader does not know the epoch at all (-1), or we have no epoch: the high watermark,
 *     the only safe point left.
 * Never past our own log end.
 */

/** What the follower knows about its log. */
export interface FollowerLogView {
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly latestEpoch: number;
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number };
}

/** The leader's answer: (epoch it answered for, end offset), -1s when unknown. */
export interface LeaderEpochEnd {
  leaderEpoch: number;
  endOffset: number;
}

export function truncationOffset(log: FollowerLogView, answer: LeaderEpochEnd | null): number {
  if (answer === null || log.latestEpoch < 0 || answer.endOffset < 0) {
    return Math.min(log.highWatermark, log.logEndOffset);
  }
  let offset = answer.endOffset;
  if (answer.leaderEpoch >= 0 && answer.leaderEpoch !== log.latestEpoch) {
    const ours = log.endOffsetForEpoch(answer.leaderEpoch);
    if (ours.endOffset >= 0) offset = Math.min(offset, ours.endOffset);
  }
  return Math.min(offset, log.logEndOffset);
}
