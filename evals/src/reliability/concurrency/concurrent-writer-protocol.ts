import { z } from "zod";

/** What the concurrency scenario hands each writer process (`concurrent-writer.ts`), and what it reports back. */
export const ConcurrentWriterInputSchema = z
  .object({
    url: z.string().url(),
    name: z.string().min(3),
    writer: z.number().int().nonnegative(),
    commits: z.number().int().min(1),
    /** Every n-th commit merges a lesson every writer merges at the same point (`shared-<n>`). 0: none. */
    sharedEvery: z.number().int().nonnegative(),
    /** The writers start together once this file exists. */
    goFile: z.string().min(1),
  })
  .strict();
export type ConcurrentWriterInput = z.infer<typeof ConcurrentWriterInputSchema>;

export const ConcurrentWriterMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("ack"), version: z.number(), added: z.array(z.string()), ms: z.number() }),
  z.object({ type: z.literal("error"), message: z.string() }),
  z.object({ type: z.literal("done"), writes: z.number(), lostRaces: z.number() }),
]);
export type ConcurrentWriterMessage = z.infer<typeof ConcurrentWriterMessageSchema>;

/** The lesson ids writer `writer`'s commit `index` adds. */
export function concurrentLessonId(writer: number, index: number, sharedEvery: number): string {
  return sharedEvery > 0 && index % sharedEvery === sharedEvery - 1 ? `shared-${index}` : `w${writer}-${index}`;
}
