/**
 * Lexical similarity of two texts, used to keep near-duplicate lessons (three
 * paraphrases of one lesson) from all reaching the agent. Words and the
 * character trigrams of words are counted, so "payments" and "payment" or
 * "calling" and "call" still overlap; the result is the cosine of the two count
 * vectors, from 0 (nothing shared) to 1 (same words).
 */

const STOP_WORDS = new Set([
  "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "by", "with", "from", "as", "is", "are", "was",
  "were", "be", "been", "it", "its", "this", "that", "these", "those", "you", "your", "we", "our", "they", "their",
  "do", "does", "did", "so", "then", "than", "if", "but", "into", "when", "before", "after", "always", "should",
  "must", "will", "can", "please", "just", "also",
]);

const WORD = /[\p{L}\p{N}]+/gu;
const SEED_WORD = 0x811c9dc5;
const SEED_GRAM = 0x9e3779b9;

/** FNV-1a over `text[start, end)`, continuing from `hash`. */
function fnv1a(text: string, start: number, end: number, hash: number): number {
  let h = hash;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** A text's lexical features as a unit vector over hashed features, sorted by key for a merge join. */
export interface TextFeatures {
  readonly keys: Int32Array;
  readonly values: Float64Array;
}

/** Words (weight 1) and the character trigrams of each word (weight spread over the word). */
export function textFeatures(text: string): TextFeatures {
  const counts = new Map<number, number>();
  const add = (key: number, weight: number): void => {
    counts.set(key, (counts.get(key) ?? 0) + weight);
  };
  for (const word of text.toLowerCase().match(WORD) ?? []) {
    if (STOP_WORDS.has(word)) continue;
    add(fnv1a(word, 0, word.length, SEED_WORD), 1);
    const marked = `^${word}$`;
    const weight = 1 / Math.sqrt(marked.length - 2);
    for (let start = 0; start + 3 <= marked.length; start++) add(fnv1a(marked, start, start + 3, SEED_GRAM), weight);
  }
  const keys = Int32Array.from(counts.keys()).sort();
  const values = new Float64Array(keys.length);
  let sum = 0;
  keys.forEach((key, index) => {
    const value = counts.get(key) as number;
    values[index] = value;
    sum += value * value;
  });
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / norm;
  return { keys, values };
}

/** Cosine similarity of two feature sets; 0 when either text has no words. */
export function featureSimilarity(a: TextFeatures, b: TextFeatures): number {
  let i = 0;
  let j = 0;
  let dot = 0;
  const aKeys = a.keys;
  const bKeys = b.keys;
  while (i < aKeys.length && j < bKeys.length) {
    const x = aKeys[i] as number;
    const y = bKeys[j] as number;
    if (x === y) {
      dot += (a.values[i] as number) * (b.values[j] as number);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return Math.min(1, dot);
}

/** Lexical similarity of two texts, from 0 to 1. */
export function textSimilarity(a: string, b: string): number {
  return featureSimilarity(textFeatures(a), textFeatures(b));
}

/**
 * Features of recently seen texts, by a key (a lesson id) and checked against
 * the text, so a retriever does not recompute them for the same lessons on
 * every step. Least recently used entries are dropped past `capacity`.
 */
export class FeatureCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, { text: string; features: TextFeatures }>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  features(key: string, text: string): TextFeatures {
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.text === text) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.features;
    }
    const features = textFeatures(text);
    if (this.#capacity <= 0) return features;
    this.#entries.delete(key);
    this.#entries.set(key, { text, features });
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return features;
  }
}
