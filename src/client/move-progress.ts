/**
 * How far a set of replica moves has got, in bytes: what `topic reassign`, `topic alter
 * --replication-factor`, `cluster drain` and `cluster rebalance` show while they wait. A move
 * copies the partition's log to each replica it adds, so its bytes to copy are the leader's log
 * size once per added replica, and its bytes copied are what the added replicas hold (at most the
 * leader's size); a finished move counts as fully copied. Sizes come from DescribeLogDirs
 * (log-dir-sizes.ts), asked of the leaders and the receiving brokers only. The rate is the bytes
 * copied since the wait began over the time it took; the time left is what remains at that rate.
 *
 * @example
 * ```ts
 * const progress = new MoveProgress(moves, Date.now());
 * progress.update(ongoing, leaderOf, sizes);
 * console.error(progressLine(progress.figures(Date.now())));
 * ```
 */
import { replicaKey, type ReplicaOnBroker } from "./log-dir-sizes.ts";
import { partitionKey } from "./partition-key.ts";

/** A move as planned: the replicas before it and after it. */
export interface ProgressMove {
  topic: string;
  partition: number;
  from: number[];
  replicas: number[] | null;
}

/** The figures of one measurement. */
export interface ProgressFigures {
  partitions: number;
  partitionsDone: number;
  copiedBytes: number;
  /** Bytes to copy in all; moves whose leader size is not known yet count 0. */
  totalBytes: number;
  /** Bytes per second since the wait began; null until something was copied. */
  bytesPerSecond: number | null;
  /** Seconds left at that rate; null when unknown. */
  secondsLeft: number | null;
  elapsedSeconds: number;
}

export class MoveProgress {
  readonly #moves: {
    move: ProgressMove;
    adding: number[];
    done: boolean;
    leaderBytes: number;
    copied: number;
  }[];
  readonly #startedMs: number;
  #copiedAtStart: number | null = null;

  constructor(moves: ProgressMove[], startedMs: number) {
    this.#moves = moves.map((move) => ({
      move,
      adding: (move.replicas ?? move.from).filter((id) => !move.from.includes(id)),
      done: false,
      leaderBytes: 0,
      copied: 0,
    }));
    this.#startedMs = startedMs;
  }

  /** The replicas whose sizes the next update needs: each unfinished move's leader and added replicas. */
  replicasToMeasure(leaderOf: (topic: string, partition: number) => number): ReplicaOnBroker[] {
    return this.#moves.filter((m) => !m.done && m.adding.length > 0).flatMap(({ move, adding }) => {
      const leader = leaderOf(move.topic, move.partition);
      return [...(leader >= 0 ? [leader] : []), ...adding].map((broker) => ({
        topic: move.topic,
        partition: move.partition,
        broker,
      }));
    });
  }

  /**
   * Take a measurement: `ongoing` holds the moves still in progress (partitionKey), `sizes` the replica
   * sizes asked for (replicaKey; absent = unknown, or not created yet).
   */
  update(
    ongoing: ReadonlySet<string>,
    leaderOf: (topic: string, partition: number) => number,
    sizes: ReadonlyMap<string, number>,
  ): void {
    for (const m of this.#moves) {
      if (m.done) continue;
      const { topic, partition } = m.move;
      const leaderSize = sizes.get(replicaKey(leaderOf(topic, partition), topic, partition));
      // A leader that moved or did not answer keeps the size last seen.
      if (leaderSize !== undefined) m.leaderBytes = leaderSize;
      if (!ongoing.has(partitionKey(topic, partition))) {
        m.done = true;
        m.copied = m.leaderBytes * m.adding.length;
        continue;
      }
      m.copied = m.adding.reduce(
        (sum, broker) => sum + Math.min(sizes.get(replicaKey(broker, topic, partition)) ?? 0, m.leaderBytes),
        0,
      );
    }
    this.#copiedAtStart ??= this.#copied();
  }

  #copied(): number {
    return this.#moves.reduce((sum, m) => sum + m.copied, 0);
  }

  figures(nowMs: number): ProgressFigures {
    const copiedBytes = this.#copied();
    const totalBytes = this.#moves.reduce((sum, m) => sum + m.leaderBytes * m.adding.length, 0);
    const elapsedSeconds = Math.max(0, nowMs - this.#startedMs) / 1000;
    const gained = copiedBytes - (this.#copiedAtStart ?? copiedBytes);
    const bytesPerSecond = gained > 0 && elapsedSeconds > 0 ? gained / elapsedSeconds : null;
    return {
      partitions: this.#moves.length,
      partitionsDone: this.#moves.filter((m) => m.done).length,
      copiedBytes,
      totalBytes,
      bytesPerSecond,
      secondsLeft: bytesPerSecond === null ? null : Math.max(0, totalBytes - copiedBytes) / bytesPerSecond,
      elapsedSeconds,
    };
  }
}

/** `2 of 5 partition(s) moved, 12.0 MB of 40.0 MB copied at 3.1 MB/s, about 9 s left (4.0 s)`. */
export function progressLine(f: ProgressFigures): string {
  const parts = [`${f.partitionsDone} of ${f.partitions} partition(s) moved`];
  if (f.totalBytes > 0) parts.push(`${bytesText(f.copiedBytes)} of ${bytesText(f.totalBytes)} copied`);
  let line = parts.join(", ");
  if (f.bytesPerSecond !== null) line += ` at ${bytesText(f.bytesPerSecond)}/s`;
  if (f.secondsLeft !== null && f.partitionsDone < f.partitions) {
    line += `, about ${duration(f.secondsLeft)} left`;
  }
  return `${line} (${f.elapsedSeconds.toFixed(1)} s)`;
}

/** Bytes in the largest unit that keeps a number of at least 1 (B, kB, MB, GB; SI, as --throttle). */
export function bytesText(bytes: number): string {
  if (bytes < 1e3) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
