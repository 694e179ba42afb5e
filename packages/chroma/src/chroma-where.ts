import type { Scope } from "@lessonloop/core";
import type { Metadata, Where } from "chromadb";

/** Stored in place of an unset user or agent: the record applies to all of them. */
export const ANY = "*";

/** Chroma metadata must be flat scalars, so a scope becomes three fields. */
export function scopeMetadata(scope: Scope): Metadata {
  return { tenant: scope.tenant, user: scope.user ?? ANY, agent: scope.agent ?? ANY };
}

/** Records that apply to a request made in `scope`: its tenant, and its user/agent or any. */
export function scopeAppliesWhere(scope: Scope): Where {
  return {
    $and: [
      { tenant: { $eq: scope.tenant } },
      { user: scope.user === undefined ? { $eq: ANY } : { $in: [ANY, scope.user] } },
      { agent: scope.agent === undefined ? { $eq: ANY } : { $in: [ANY, scope.agent] } },
    ],
  };
}

/** Records that lie within `scope`: its tenant, and exactly its user/agent where it names one. */
export function scopeWithinWhere(scope: Scope): Where {
  const clauses: Where[] = [{ tenant: { $eq: scope.tenant } }];
  if (scope.user !== undefined) clauses.push({ user: { $eq: scope.user } });
  if (scope.agent !== undefined) clauses.push({ agent: { $eq: scope.agent } });
  return clauses.length === 1 ? (clauses[0] as Where) : { $and: clauses };
}
