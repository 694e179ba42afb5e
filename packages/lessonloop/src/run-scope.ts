import { LessonloopError, ScopeSchema, type Scope } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import type { LearningLoop } from "./learning-loop.js";

/** A run's scope, or why it has none. */
export type RunScope = { scope: Scope; error?: undefined } | { scope?: undefined; error: LessonloopError };

/**
 * Reads a run's scope without failing the run: a scope function that throws
 * (e.g. a user id missing from the config) or returns an invalid scope (an
 * empty or 10 kB user id) gives an `invalid_input` error instead of an
 * exception, so the run can answer without lessons.
 */
export function readRunScope(read: () => unknown, what: string): RunScope {
  try {
    return { scope: parseWith(ScopeSchema, read(), what) };
  } catch (error) {
    if (LessonloopError.isInstance(error)) return { error };
    return { error: new LessonloopError("invalid_input", `Invalid ${what} — the function threw: ${String(error)}`, { cause: error }) };
  }
}

/** What the loop's `warning` event says about a run that had no valid scope. */
export interface RunScopeWarning {
  /** Who read the scope. */
  attachedBy: "lessonloopMiddleware" | "withLearning";
  code: "invalid_input";
  /** What was done instead. */
  effect: string;
  /** Which field is wrong, and how. */
  message: string;
  cause: unknown;
}

const EFFECT = "this run was served no lessons and nothing of it was recorded";

/** Reports a run without a valid scope on the loop's channel: it answers without lessons and teaches nothing. */
export function warnRunScope(loop: LearningLoop, attachedBy: RunScopeWarning["attachedBy"], error: LessonloopError): void {
  const help = `Return a scope whose tenant, user and agent are 1 to 256 visible characters from the \`scope\` option of ${attachedBy}.`;
  loop.warn({ source: "scope", warning: { attachedBy, code: "invalid_input", effect: EFFECT, message: `${error.message}. ${help}`, cause: error } });
}
