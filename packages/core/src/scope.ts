import { z } from "zod";
import { hasInvisible, invisibleCodePoints } from "./text/invisible.js";

/** Tabs and line breaks, which `hasInvisible` leaves to callers: a name is one line. */
const LINE_BREAKS = /[\t\n\r\u2028\u2029]/g;

/** The longest tenant, user or agent name, in characters (UTF-16 code units). */
export const SCOPE_NAME_LIMIT = 256;

/**
 * Tenant, user and agent names: any text a user id is — `josé`, `李雷`,
 * `Ana Lopez`, `o'reilly`, an email address — from 1 to 256 characters,
 * compared exactly (no case folding, no Unicode normalisation). Not allowed:
 * blank names, and line breaks, control and invisible format characters and lone surrogates
 * (`hasInvisible`: two names that look the same must be the same name, and a
 * store must be able to keep every name apart). Stores encode names as they need (Chroma: `chroma-where.ts`).
 */
export const ScopeNameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(SCOPE_NAME_LIMIT, `must be at most ${SCOPE_NAME_LIMIT} characters`)
  .refine((name) => name.trim() !== "", "must not be blank")
  .superRefine((name, context) => {
    const breaks = [...name.matchAll(LINE_BREAKS)].map((match) => `U+${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`);
    if (hasInvisible(name) || breaks.length > 0) {
      const found = [...new Set([...breaks, ...invisibleCodePoints(name)])];
      context.addIssue({ code: "custom", message: `may not hold line breaks, control or invisible characters, nor lone surrogates (found ${found.join(", ")})` });
    }
  });
const scopeName = ScopeNameSchema;

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
