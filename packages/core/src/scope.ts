import { z } from "zod";

/** Tenant, user and agent names: no spaces, no wildcard, bounded. */
const scopeName = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[A-Za-z0-9._:@/+-]+$/, "may hold only letters, digits and . _ : @ / + -");

/**
 * Where a lesson or edge case belongs. A lesson without `user` applies to every
 * user of its tenant; a lesson without `agent` applies to every agent. Tenants
 * never see each other's lessons.
 */
export const ScopeSchema = z
  .object({
    tenant: scopeName,
    user: scopeName.optional(),
    agent: scopeName.optional(),
  })
  .strict();
export type Scope = z.infer<typeof ScopeSchema>;

/**
 * Whether something scoped to `owner` applies to a request made in `request`:
 * same tenant, and `owner` is either unrestricted in user/agent or names the
 * request's own.
 */
export function scopeApplies(owner: Scope, request: Scope): boolean {
  if (owner.tenant !== request.tenant) return false;
  if (owner.user !== undefined && owner.user !== request.user) return false;
  if (owner.agent !== undefined && owner.agent !== request.agent) return false;
  return true;
}

/**
 * Whether `inner` lies within `outer`: same tenant, and as narrow or narrower in
 * user and agent. The edge cases a lesson can affect are the ones within its scope.
 */
export function scopeContains(outer: Scope, inner: Scope): boolean {
  if (outer.tenant !== inner.tenant) return false;
  if (outer.user !== undefined && outer.user !== inner.user) return false;
  if (outer.agent !== undefined && outer.agent !== inner.agent) return false;
  return true;
}

/** A stable one-line rendering, e.g. `acme/user:ana/agent:billing`. */
export function formatScope(scope: Scope): string {
  const parts = [scope.tenant];
  if (scope.user !== undefined) parts.push(`user:${scope.user}`);
  if (scope.agent !== undefined) parts.push(`agent:${scope.agent}`);
  return parts.join("/");
}
