import type { LessonInput } from "../lesson.js";
import type { Scope } from "../scope.js";

const FIXED_TIME = "2026-01-01T00:00:00.000Z";

/**
 * A valid lesson for tests, with every field filled; override what the test is
 * about. The id doubles as a readable label.
 */
export function lessonFixture(id: string, overrides: Partial<LessonInput> = {}): LessonInput {
  const scope: Scope = overrides.scope ?? { tenant: "acme" };
  return {
    id,
    trigger: `when ${id} happens`,
    guidance: `handle ${id} carefully`,
    rationale: `learned from ${id}`,
    kind: "recovery",
    evidence: [`episode-${id}`],
    provenance: { agent: "tester", model: "scripted", proposedAt: FIXED_TIME },
    createdAt: FIXED_TIME,
    ...overrides,
    scope,
  };
}
