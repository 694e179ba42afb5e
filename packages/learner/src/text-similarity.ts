const STOP_WORDS = new Set([
  "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "by", "with", "from", "as", "is", "are", "was",
  "were", "be", "been", "it", "its", "this", "that", "these", "those", "then", "than", "when", "if", "before", "after",
  "into", "so", "do", "does", "should", "must", "always", "use", "user", "agent",
]);

/** The content words of a text: lower-cased, stop words and one-letter words left out. */
export function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().normalize("NFKD").replace(/\p{M}+/gu, "").match(/[\p{L}\p{N}]+/gu) ?? [];
  return new Set(words.filter((word) => word.length > 1 && !STOP_WORDS.has(word)));
}

/**
 * How much two texts share their content words, 0..1 (Dice's coefficient).
 * Used to tell two candidates of one answer apart; it knows no synonyms.
 */
export function wordOverlap(a: string, b: string): number {
  const left = contentWords(a);
  const right = contentWords(b);
  if (left.size === 0 && right.size === 0) return a.trim().toLowerCase() === b.trim().toLowerCase() ? 1 : 0;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared += 1;
  return (2 * shared) / (left.size + right.size);
}
