import type { LessonInput, LessonMemory, Scope } from "@lessonloop/core";
import { MAX_LESSONS_PER_COMMIT } from "@lessonloop/core/internal";
import type { SeededRandom } from "@lessonloop/core/testing";

/**
 * Generated support-desk lessons and requests: 5 tenants of 20 users, 30% of
 * lessons user-scoped, words drawn from one vocabulary so that requests and
 * lessons share terms the way real ones do.
 */
const topics = ["invoice", "refund", "shipping", "address", "currency", "discount", "customer", "order", "warehouse", "tax", "subscription", "payment", "receipt", "delivery", "return", "coupon", "inventory", "pricing", "contract", "support"];
const actions = ["create", "update", "cancel", "confirm", "validate", "format", "split", "merge", "retry", "escalate"];
const details = ["amount in cents", "ISO date", "postal code", "currency code uppercase", "customer id prefix cus_", "two decimals", "rate limit header", "idempotency key", "approval above 500", "timezone UTC"];
const TIME = "2026-01-01T00:00:00.000Z";
export const TENANTS = 5;
export const USERS = 20;

export const tenantOf = (random: SeededRandom) => `tenant-${random.int(1, TENANTS)}`;

/** The scope of a request: a tenant's user. */
export const requestScope = (random: SeededRandom): Scope => ({ tenant: tenantOf(random), user: `user-${random.int(1, USERS)}` });

/** A lesson's scope: a tenant, or one of its users for 30% of lessons. */
export function lessonScope(random: SeededRandom): Scope {
  const tenant = tenantOf(random);
  return random.chance(0.3) ? { tenant, user: `user-${random.int(1, USERS)}` } : { tenant };
}

/** A user's request, as it would arrive in a support chat. */
export function request(random: SeededRandom): string {
  return `Hi, could you ${random.pick(actions)} the ${random.pick(topics)} for order ${random.int(1_000, 9_999)}? The ${random.pick(topics)} team said the ${random.pick(details)} was wrong last time.`;
}

/** A lesson's words: a trigger and guidance from the shared vocabulary. */
export function lessonText(random: SeededRandom): { trigger: string; guidance: string } {
  const topic = random.pick(topics);
  const action = random.pick(actions);
  return {
    trigger: `when asked to ${action} a ${topic} through the ${random.pick(topics)} API`,
    guidance: `${action} the ${topic} with ${random.pick(details)} and ${random.pick(details)}`,
  };
}

export function lesson(random: SeededRandom, index: number): LessonInput {
  return {
    id: `lesson-${index}`,
    ...lessonText(random),
    kind: random.pick(["recovery", "strategy", "preference", "constraint"] as const),
    scope: lessonScope(random),
    provenance: { agent: "perf", model: "none", proposedAt: TIME },
    createdAt: new Date(Date.parse(TIME) - random.int(0, 365) * 86_400_000).toISOString(),
  };
}

/** Fills a memory with `size` generated lessons in the largest commits allowed; returns them. */
export async function fillMemory(memory: LessonMemory, random: SeededRandom, size: number): Promise<LessonInput[]> {
  const lessons = Array.from({ length: size }, (_, index) => lesson(random, index));
  for (let start = 0; start < size; start += MAX_LESSONS_PER_COMMIT) {
    await memory.commit({ add: lessons.slice(start, start + MAX_LESSONS_PER_COMMIT), reason: "bulk load", author: "perf" });
  }
  return lessons;
}
