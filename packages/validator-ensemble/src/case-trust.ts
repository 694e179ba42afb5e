import type { EdgeCase, Scope } from "@lessonloop/core";

/**
 * Whether a case's truth is more than one user's word: decided by the
 * environment, the user's evaluator, a judge — or stored before truth was
 * recorded. Only such cases count as coverage of a risky lesson.
 */
export function isVerified(edgeCase: Pick<EdgeCase, "truth">): boolean {
  return edgeCase.truth?.source !== "user_feedback";
}

/**
 * Whether a case's truth may carry a lesson of this scope on its own: a
 * verified case always; one user's feedback only for a lesson that reaches no
 * one but that user, and never when a deterministic signal of its episode
 * said the opposite.
 */
export function trustedFor(edgeCase: Pick<EdgeCase, "truth">, lessonScope: Scope | undefined): boolean {
  if (isVerified(edgeCase)) return true;
  const by = edgeCase.truth?.by;
  return by !== undefined && edgeCase.truth?.contradictedBy === undefined && lessonScope?.user === by;
}

/**
 * Whether cases resting on users' word corroborate each other: the word of at
 * least two different, known users, not contradicted by their episodes' own signals.
 */
export function corroborated(cases: readonly Pick<EdgeCase, "truth">[]): boolean {
  const users = new Set(cases.flatMap((edgeCase) => (edgeCase.truth?.by === undefined || edgeCase.truth.contradictedBy !== undefined ? [] : [edgeCase.truth.by])));
  return users.size >= 2;
}
