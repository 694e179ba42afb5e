import type { LessonKind, Scope } from "@lessonloop/core";
import type { AppliesTo } from "./learner-prompt.js";

/**
 * The scope of a proposed lesson, from the run's scope and how wide the model
 * wants it. The tenant is always the run's: the model chooses only a width,
 * never a tenant, user or agent name.
 *
 * - `user`: the run's own scope (its user and agent) — the narrowest;
 * - `agent`: the run's agent, for every user of the tenant;
 * - `tenant`: every agent and user of the tenant.
 *
 * A `preference` is always `user`-wide, whatever the model said: one user's
 * preference never reaches other users.
 */
export function lessonScope(runScope: Scope, appliesTo: AppliesTo, kind: LessonKind): Scope {
  const width: AppliesTo = kind === "preference" ? "user" : appliesTo;
  const { tenant, user, agent } = runScope;
  switch (width) {
    case "user":
      return { tenant, ...(user === undefined ? {} : { user }), ...(agent === undefined ? {} : { agent }) };
    case "agent":
      return { tenant, ...(agent === undefined ? {} : { agent }) };
    case "tenant":
      return { tenant };
  }
}
