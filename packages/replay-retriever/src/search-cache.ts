import type { ScoredLesson } from "@lessonloop/core/internal";

/**
 * Remembers search results by version, scope, kinds and query. A memory version
 * never changes once committed, so a search at an explicit version always
 * returns the same lessons: the later steps of a pinned run (an agent loop
 * passing through the retriever again) need not ask the store again.
 * Least recently used entries are dropped past `capacity`.
 */
export class SearchCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, readonly ScoredLesson[]>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: string): readonly ScoredLesson[] | undefined {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: readonly ScoredLesson[]): void {
    if (this.#capacity <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }
}
