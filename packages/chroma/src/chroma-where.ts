import type { Scope } from "@lessonloop/core";
import type { Metadata, Where } from "chromadb";

/** Stored in place of an unset user or agent: the record applies to all of them. */
export const ANY = "*";

/** Names as scopes allowed them before any text could be one: stored as they are, so older records still match. */
const PLAIN_NAME = /^[A-Za-z0-9._:@/+-]+$/;

/**
 * A tenant, user or agent name as stored in metadata and compared by filters.
 * A plain name (letters, digits, `. _ : @ / + -`) is itself; any other — `josé`,
 * `Ana Lopez`, `*` — is `~` and its percent-encoding (UTF-8), ASCII throughout.
 * No plain name holds `~` or `*`, so no two names are stored alike and none as
 * the wildcard {@link ANY}: a user named `*` is not "every user".
 */
export function storedScopeName(name: string): string {
  return PLAIN_NAME.test(name) ? name : `~${encodeURIComponent(name)}`;
}

/** Chroma metadata must be flat scalars, so a scope becomes three fields. */
export function scopeMetadata(scope: Scope): Metadata {
  return {
    tenant: storedScopeName(scope.tenant),
    user: scope.user === undefined ? ANY : storedScopeName(scope.user),
    agent: scope.agent === undefined ? ANY : storedScopeName(scope.agent),
  };
}

/** Records that apply to a request made in `scope`: its tenant, and its user/agent or any. */
export function scopeAppliesWhere(scope: Scope): Where {
  return {
    $and: [
      { tenant: { $eq: storedScopeName(scope.tenant) } },
      { user: scope.user === undefined ? { $eq: ANY } : { $in: [ANY, storedScopeName(scope.user)] } },
      { agent: scope.agent === undefined ? { $eq: ANY } : { $in: [ANY, storedScopeName(scope.agent)] } },
    ],
  };
}

/** Records that lie within `scope`: its tenant, and exactly its user/agent where it names one. */
export function scopeWithinWhere(scope: Scope): Where {
  return allOf(scopeWithinClauses(scope));
}

/** The clauses of {@link scopeWithinWhere}, to combine with others. */
export function scopeWithinClauses(scope: Scope): Where[] {
  const clauses: Where[] = [{ tenant: { $eq: storedScopeName(scope.tenant) } }];
  if (scope.user !== undefined) clauses.push({ user: { $eq: storedScopeName(scope.user) } });
  if (scope.agent !== undefined) clauses.push({ agent: { $eq: storedScopeName(scope.agent) } });
  return clauses;
}

/** Chroma's `$and` needs two or more clauses. */
function allOf(clauses: readonly Where[]): Where {
  return clauses.length === 1 ? (clauses[0] as Where) : { $and: [...clauses] };
}
