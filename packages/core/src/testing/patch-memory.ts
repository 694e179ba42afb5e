import type { LessonMemory } from "../lesson-memory.js";

/**
 * `memory` with some of its methods replaced — to make a call fail, hang or be
 * timed — and every other method passed through to it.
 */
export function patchMemory(memory: LessonMemory, overrides: Partial<LessonMemory>): LessonMemory {
  return {
    headVersion: () => memory.headVersion(),
    commit: (request) => memory.commit(request),
    rollback: (request) => memory.rollback(request),
    revert: (request) => memory.revert(request),
    search: (request) => memory.search(request),
    list: (request) => memory.list(request),
    get: (id, options) => memory.get(id, options),
    snapshot: (version) => memory.snapshot(version),
    history: (request) => memory.history(request),
    diff: (from, to, options) => memory.diff(from, to, options),
    ...overrides,
  };
}
