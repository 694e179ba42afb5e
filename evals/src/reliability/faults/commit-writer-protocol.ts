import type { LessonInput } from "@lessonloop/core";
import { z } from "zod";

/** What the SIGKILL scenario hands its writer process (`commit-writer.ts`), and what that process reports back. */
export const CommitWriterInputSchema = z
  .object({
    url: z.string().url(),
    name: z.string().min(3),
    seed: z.number().int(),
    /** Prefix of this writer's lesson ids, unique per run. */
    prefix: z.string().regex(/^[a-z0-9-]+$/),
    maxLessonsPerCommit: z.number().int().min(1).max(500),
    /** Share of writes that are rollbacks. */
    rollbackShare: z.number().min(0).max(1),
  })
  .strict();
export type CommitWriterInput = z.infer<typeof CommitWriterInputSchema>;

export const CommitWriterMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), head: z.number() }),
  z.object({ type: z.literal("begin"), kind: z.enum(["commit", "rollback"]) }),
  /** A write that returned: its version, and the lessons its snapshot made live again (a rollback) or added (a commit). */
  z.object({ type: z.literal("ack"), kind: z.enum(["commit", "rollback"]), version: z.number(), added: z.array(z.string()) }),
  z.object({ type: z.literal("refused"), code: z.string() }),
]);
export type CommitWriterMessage = z.infer<typeof CommitWriterMessageSchema>;

/** A lesson a writer process commits: scoped to tenant `acme`, with a trigger the consistency check's search finds. */
export function writerLesson(id: string, author: string, supersedes: readonly string[] = [], at = new Date().toISOString()): LessonInput {
  return {
    id,
    trigger: `when the writer commits lesson ${id}`,
    guidance: `handle ${id} carefully`,
    rationale: `written by ${author}`,
    kind: "recovery",
    scope: { tenant: "acme" },
    evidence: [`episode-${id}`],
    provenance: { agent: author, model: "none", proposedAt: at },
    createdAt: at,
    supersedes: [...supersedes],
  };
}
