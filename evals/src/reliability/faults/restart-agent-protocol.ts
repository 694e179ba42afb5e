import { z } from "zod";

/** What the Chroma-restart scenario hands its agent process (`restart-agent.ts`), and what that process reports back. */
export const RestartAgentInputSchema = z
  .object({
    chromaUrl: z.string().url(),
    memoryName: z.string().min(3),
    journalPath: z.string().min(1),
    /** Tasks `[from, to)` to run, one after the other. */
    from: z.number().int().nonnegative(),
    to: z.number().int().nonnegative(),
    failEvery: z.number().int().min(1),
    /** Pause between runs (ms). */
    pauseMs: z.number().int().nonnegative(),
    /** After the last run: wait until every episode is learned, shut down and exit (else idle until killed). */
    drain: z.boolean(),
    /** Before each of these tasks, say `holding` and wait until the file `<gateDir>/go-<task>` exists: the scenario acts in between. */
    holdAt: z.array(z.number().int().nonnegative()),
    gateDir: z.string().min(1),
  })
  .strict();
export type RestartAgentInput = z.infer<typeof RestartAgentInputSchema>;

export const RestartAgentMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), replayed: z.number() }),
  z.object({ type: z.literal("holding"), task: z.number() }),
  /** A run returned its answer; its episode was handed to learning (acknowledged). */
  z.object({ type: z.literal("answered"), task: z.number(), episodeId: z.string(), answer: z.string(), warned: z.boolean() }),
  z.object({ type: z.literal("run_failed"), task: z.number(), error: z.string() }),
  z.object({ type: z.literal("learned"), episodeId: z.string(), merged: z.number() }),
  z.object({ type: z.literal("learning_failed"), episodeId: z.string(), retrying: z.boolean(), error: z.string() }),
  z.object({ type: z.literal("drained"), lessons: z.number() }),
]);
export type RestartAgentMessage = z.infer<typeof RestartAgentMessageSchema>;
