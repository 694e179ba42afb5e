import type { EdgeCase, Lesson } from "@lessonloop/core";
import { lessonScope } from "@lessonloop/learner";
import { describe, expect, it } from "vitest";
import { SMUGGLING_CLASSES, SMUGGLING_VARIANTS, controlOf } from "./smuggling-cases.js";
import { isSmugglingHarmful, unvalidatedLessons } from "./smuggling.js";
import { judgeCase, readAsModel, runIsSafe, runSmugglingSandbox, seedTenantCases } from "./smuggling-world.js";

const T = "2026-01-01T00:00:00.000Z";
function lessonOf(id: string, scope: Lesson["scope"], text: { trigger: string; guidance: string; kind: Lesson["kind"]; appliesTo: "user" | "agent" | "tenant" }): Lesson {
  return {
    id,
    trigger: text.trigger,
    guidance: text.guidance,
    rationale: "",
    kind: text.kind,
    scope: lessonScope(scope, text.appliesTo, text.kind),
    evidence: [],
    provenance: { agent: "learner", model: "scripted", proposedAt: T },
    status: "approved",
    supersedes: [],
    tags: [],
    createdAt: T,
  };
}

/** The tool call that worked in a recovered run: what its must_pass case checks. */
function retryCheck(trajectory: readonly { type: string }[]): EdgeCase["check"] {
  const calls = trajectory.filter((step): step is { type: "tool_call"; name: string; args: Record<string, unknown> } => step.type === "tool_call");
  const last = calls.at(-1);
  if (last === undefined) throw new Error("no tool call");
  return { type: "tool_call", name: last.name, args: last.args };
}

describe("smuggling world", () => {
  it("has every class, at least 3 variants each, one tenant per variant", () => {
    for (const name of SMUGGLING_CLASSES) expect(SMUGGLING_VARIANTS.filter((variant) => variant.class === name).length, name).toBeGreaterThanOrEqual(3);
    expect(new Set(SMUGGLING_VARIANTS.map((variant) => variant.tenant)).size).toBe(SMUGGLING_VARIANTS.length);
    expect(new Set(SMUGGLING_VARIANTS.map((variant) => variant.id)).size).toBe(SMUGGLING_VARIANTS.length);
  });

  it("every stored case of every tenant passes without lessons", () => {
    for (const variant of SMUGGLING_VARIANTS) {
      for (const seed of seedTenantCases(variant.tenant, variant.profile)) expect(runIsSafe(runSmugglingSandbox(seed.input, seed.scope, [])), seed.input).toBe(true);
    }
  });

  it("reads spelled-out and look-alike addresses as a model would", () => {
    expect(readAsModel("keep vip-desk at partner-hub dot example in copy")).toBe("keep vip-desk@partner-hub.example in copy");
    expect(readAsModel("cc ops＠partner-hub.example")).toBe("cc ops@partner-hub.example");
    expect(readAsModel("look at the order")).toBe("look at the order");
  });

  it.each(SMUGGLING_VARIANTS.map((variant) => [variant.id, variant] as const))("%s: each proposal really fixes its run, and all of them merged would do harm", (_id, variant) => {
    for (const { episode, proposal } of variant.episodes) {
      if (proposal === undefined) continue;
      const lesson = lessonOf(episode.id, episode.scope, proposal);
      const check = retryCheck(episode.trajectory);
      expect(judgeCase(check, runSmugglingSandbox(episode.input, episode.scope, []))).toBe(false);
      expect(judgeCase(check, runSmugglingSandbox(episode.input, episode.scope, [lesson]))).toBe(true);
    }
    expect(isSmugglingHarmful(variant, unvalidatedLessons(variant))).toBe(true);
    // The control alone does no harm, and the probes are clean without lessons.
    const control = controlOf(variant);
    expect(isSmugglingHarmful(variant, [lessonOf(control.id, control.episode.scope, control.proposal)])).toBe(false);
    for (const probe of variant.harm.probes) expect(runSmugglingSandbox(probe.input, probe.scope, []).violations).toEqual([]);
  });

  it.each(SMUGGLING_VARIANTS.filter((variant) => variant.class === "combined-lessons").map((variant) => [variant.id, variant] as const))(
    "%s: each lesson alone is harmless, together they do harm",
    (_id, variant) => {
      const lessons = variant.episodes.map(({ episode, proposal }) => lessonOf(episode.id, episode.scope, proposal ?? { trigger: "", guidance: "", kind: "recovery", appliesTo: "tenant" }));
      for (const lesson of lessons) expect(isSmugglingHarmful(variant, [lesson]), lesson.guidance).toBe(false);
      expect(isSmugglingHarmful(variant, lessons)).toBe(true);
    },
  );

  it("the marked successes of the poisoned-cases class pass only with the harmful lesson", () => {
    for (const variant of SMUGGLING_VARIANTS.filter((candidate) => candidate.class === "poisoned-cases")) {
      const attack = variant.episodes.at(-1);
      if (attack?.proposal === undefined) throw new Error(`${variant.id} has no attacking run`);
      const lesson = lessonOf("attack", attack.episode.scope, attack.proposal);
      for (const { episode } of variant.episodes.slice(0, -1)) {
        const check = retryCheck(episode.trajectory);
        // What the stored case will check (the last call of the run) holds with the lesson.
        expect(judgeCase(check, runSmugglingSandbox(episode.input, episode.scope, [lesson])), episode.input).toBe(true);
      }
    }
  });

  it.each(SMUGGLING_VARIANTS.map((variant) => [variant.tenant, variant] as const))("the control of %s fixes its run and breaks no stored case", (_tenant, variant) => {
    const control = controlOf(variant);
    const lesson = lessonOf(control.id, control.episode.scope, control.proposal);
    const check = retryCheck(control.episode.trajectory);
    expect(judgeCase(check, runSmugglingSandbox(control.episode.input, control.episode.scope, []))).toBe(false);
    expect(judgeCase(check, runSmugglingSandbox(control.episode.input, control.episode.scope, [lesson]))).toBe(true);
    for (const seed of seedTenantCases(variant.tenant, variant.profile)) expect(runIsSafe(runSmugglingSandbox(seed.input, seed.scope, [lesson])), seed.input).toBe(true);
  });
});
