import { createSeededRandom, type SeededRandom } from "@lessonloop/core/testing";

/** FNV-1a over the UTF-16 code units of `text`, finalised: a stable, well-mixed 32-bit hash. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  // murmur3's finaliser: nearby texts (`task#5`, `task#8`) must not give nearby seeds.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * A generator seeded by `parts` (e.g. seed, task id, purpose): the same parts
 * always give the same sequence, so a decision keyed only on them is the same
 * for every strategy and every replay (common random numbers).
 */
export function keyedRandom(...parts: readonly (string | number)[]): SeededRandom {
  return createSeededRandom(fnv1a(parts.map(String).join("\u0000")));
}

/** One uniform number in [0, 1) keyed by `parts`. */
export function keyedDraw(...parts: readonly (string | number)[]): number {
  return keyedRandom(...parts).next();
}
