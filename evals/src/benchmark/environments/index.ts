import { LessonloopError } from "@lessonloop/core";
import { createApiDriftEnvironment } from "./api-drift.js";
import type { Environment } from "./environment.js";
import type { EnvironmentName } from "./world.js";
import { createPoisonedFeedbackEnvironment } from "./poisoned-feedback.js";
import { createPolicyShiftEnvironment } from "./policy-shift.js";
import { createUserPreferencesEnvironment } from "./user-preferences.js";

export type { DriftPoint, Environment, LessonGrade, TaskTruth } from "./environment.js";
export type { EnvironmentName, Session, Task, TaskSignals, ToolResult, ToolSpec, World } from "./world.js";
export { createApiDriftEnvironment } from "./api-drift.js";
export { createPoisonedFeedbackEnvironment } from "./poisoned-feedback.js";
export { createPolicyShiftEnvironment } from "./policy-shift.js";
export type { PolicyShiftParams } from "./policy-shift.js";
export { createUserPreferencesEnvironment } from "./user-preferences.js";
export type { UserPreferencesParams } from "./user-preferences.js";

/** The four worlds, in the order the report lists them. */
export const ENVIRONMENT_NAMES: readonly EnvironmentName[] = ["api-drift", "user-preferences", "policy-shift", "poisoned-feedback"];

const FACTORIES: Record<EnvironmentName, () => Environment> = {
  "api-drift": createApiDriftEnvironment,
  "user-preferences": createUserPreferencesEnvironment,
  "policy-shift": createPolicyShiftEnvironment,
  "poisoned-feedback": createPoisonedFeedbackEnvironment,
};

/**
 * A world by name, with its default settings.
 *
 * @param name One of {@link ENVIRONMENT_NAMES}; anything else is an `invalid_input` error.
 */
export function createEnvironment(name: string): Environment {
  const factory = (FACTORIES as Record<string, (() => Environment) | undefined>)[name];
  if (factory === undefined) {
    throw new LessonloopError("invalid_input", `Unknown environment "${name}": use one of ${ENVIRONMENT_NAMES.join(", ")}.`);
  }
  return factory();
}
