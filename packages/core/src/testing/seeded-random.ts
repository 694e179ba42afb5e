/** A deterministic source of randomness: the same seed gives the same sequence. */
export interface SeededRandom {
  /** A number in [0, 1). */
  next(): number;
  /** A whole number between `min` and `max`, both included. */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy of `items`; the input is left as it was. */
  shuffle<T>(items: readonly T[]): T[];
  /** `true` with probability `p` (0 never, 1 always). */
  chance(p: number): boolean;
}

/**
 * Creates a seeded pseudo-random generator (mulberry32: 32-bit state, fast,
 * good enough for tests and sampling, not for anything secret).
 *
 * @param seed Any number; it is reduced to 32 bits, so seeds that differ only
 *   beyond that give the same sequence.
 */
export function createSeededRandom(seed: number): SeededRandom {
  if (!Number.isFinite(seed)) {
    throw new RangeError(`createSeededRandom needs a finite number as seed, got ${String(seed)}.`);
  }
  let state = seed >>> 0;

  const next = (): number => {
    // mulberry32 by Tommy Ettinger (public domain).
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const int = (min: number, max: number): number => {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min > max) {
      throw new RangeError(`SeededRandom.int needs whole numbers with min <= max, got min=${min}, max=${max}.`);
    }
    return min + Math.floor(next() * (max - min + 1));
  };

  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) {
        throw new RangeError("SeededRandom.pick needs a non-empty array.");
      }
      return items[int(0, items.length - 1)] as T;
    },
    shuffle<T>(items: readonly T[]): T[] {
      // Fisher–Yates on a copy.
      const shuffled = [...items];
      for (let i = shuffled.length - 1; i > 0; i -= 1) {
        const j = int(0, i);
        [shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T];
      }
      return shuffled;
    },
    chance(p) {
      if (Number.isNaN(p) || p < 0 || p > 1) {
        throw new RangeError(`SeededRandom.chance needs a probability between 0 and 1, got ${p}.`);
      }
      return next() < p;
    },
  };
}
