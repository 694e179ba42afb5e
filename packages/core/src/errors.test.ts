import { describe, expect, it } from "vitest";
import { EpisodeSchema } from "./episode.js";
import { LessonloopError } from "./errors.js";
import { LessonSchema } from "./lesson.js";
import { parseWith } from "./parse.js";
import { EdgeCaseSchema } from "./edge-case.js";
import { VerdictSchema } from "./verdict.js";

describe("LessonloopError", () => {
  it("is recognised by its marker, also across copies of the class", () => {
    const error = new LessonloopError("not_found", "missing", { cause: new Error("root") });
    expect(LessonloopError.isInstance(error)).toBe(true);
    expect(LessonloopError.isInstance(error, "not_found")).toBe(true);
    expect(LessonloopError.isInstance(error, "conflict")).toBe(false);
    expect((error.cause as Error).message).toBe("root");
    // What a second installed copy of the package would produce: same marker, other class.
    const foreign = Object.assign(new Error("x"), { code: "timeout", [Symbol.for("lessonloop.error")]: true });
    expect(LessonloopError.isInstance(foreign, "timeout")).toBe(true);
    expect(LessonloopError.isInstance(new Error("plain"))).toBe(false);
    expect(LessonloopError.isInstance(null)).toBe(false);
  });
});

describe("parsing at boundaries", () => {
  it("names every bad field of an episode", () => {
    try {
      parseWith(EpisodeSchema, { id: "e 1", input: "hi", trajectory: [{ type: "tool_call", id: "c", name: "" }], outcome: { status: "meh" }, scope: {}, memoryVersion: -1, startedAt: "yesterday" }, "episode");
      expect.unreachable();
    } catch (error) {
      expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
      const message = (error as LessonloopError).message;
      for (const field of ["id", "trajectory.0.name", "trajectory.0.args", "outcome.status", "scope.tenant", "memoryVersion", "startedAt"]) {
        expect(message).toContain(`${field}:`);
      }
    }
  });

  it("fills lesson defaults and rejects unknown fields", () => {
    const lesson = parseWith(
      LessonSchema,
      { id: "l1", trigger: " t ", guidance: "g", kind: "strategy", scope: { tenant: "acme" }, provenance: { agent: "a", model: "m", proposedAt: "2026-01-01T00:00:00.000Z" }, createdAt: "2026-01-01T00:00:00Z" },
      "lesson",
    );
    expect(lesson).toMatchObject({ trigger: "t", status: "proposed", evidence: [], supersedes: [], tags: [], rationale: "" });
    expect(() => parseWith(LessonSchema, { ...lesson, run: "rm -rf /" }, "lesson")).toThrow(/Unrecognized key.*run|run/);
  });

  it("accepts each kind of edge-case check and rejects an unknown one", () => {
    const base = { id: "c1", input: "ship order 7", kind: "regression", scope: { tenant: "acme" }, createdAt: "2026-01-01T00:00:00.000Z" };
    for (const check of [{ type: "answer", mustContain: ["7"] }, { type: "tool_call", name: "ship" }, { type: "environment", predicate: "shipped" }, { type: "rubric", rubric: "polite" }]) {
      expect(parseWith(EdgeCaseSchema, { ...base, check }, "edge case").check.type).toBe(check.type);
    }
    expect(() => parseWith(EdgeCaseSchema, { ...base, check: { type: "eval", code: "1+1" } }, "edge case")).toThrow(/check/);
  });

  it("bounds a verdict's policy threshold", () => {
    const verdict = { lessonId: "l1", decision: "approved", policy: { name: "majority", quorum: 2, threshold: 1.5 }, tally: { approve: 2, reject: 0, abstain: 1 }, votes: [], reason: "r", decidedAt: "2026-01-01T00:00:00.000Z" };
    expect(() => parseWith(VerdictSchema, verdict, "verdict")).toThrow(/policy\.threshold/);
  });
});
