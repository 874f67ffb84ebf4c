/**
 * A small seeded pseudo-random generator (mulberry32) for tests that want varied yet replayable
 * choices: the same seed gives the same sequence, so a failure can be run again as it happened.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * const pick = list[Math.floor(random() * list.length)];
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
