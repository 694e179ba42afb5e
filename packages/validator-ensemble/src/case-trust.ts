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

/**
 * The motivating case whose word supersedes a stored case's, if any: the
 * stored case rests only on the word of the one user the lesson reaches, and
 * a motivating case is that same user's newer word, not contradicted by its
 * episode. A user who changes their mind about what they want for themselves
 * is not broken by a lesson that follows the change; a break on such a case
 * does not veto. The environment's, an evaluator's or another user's truth is
 * never superseded.
 */
export function supersedingCase(
  edgeCase: Pick<EdgeCase, "id" | "truth" | "createdAt">,
  motivatingCases: readonly Pick<EdgeCase, "id" | "truth" | "createdAt">[],
  lessonScope: Scope | undefined,
): string | undefined {
  const user = lessonScope?.user;
  if (user === undefined || edgeCase.truth?.source !== "user_feedback" || edgeCase.truth.by !== user) return undefined;
  const newer = motivatingCases.find(
    (motivating) =>
      motivating.id !== edgeCase.id &&
      motivating.truth?.source === "user_feedback" &&
      motivating.truth.by === user &&
      motivating.truth.contradictedBy === undefined &&
      Date.parse(motivating.createdAt) > Date.parse(edgeCase.createdAt),
  );
  return newer?.id;
}
