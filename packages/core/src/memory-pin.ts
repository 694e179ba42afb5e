import { z } from "zod";
import { VersionSchema } from "./ids.js";

/**
 * The state key under which a graph run keeps the memory version it was served
 * from. The replay-retriever writes it on a run's first step and reads it on
 * every later step, so resuming, replaying or time-travelling a run (which
 * restores its state from a checkpoint) gets the same lessons; a run with new
 * input gets the live version. The snapshot-checkpointer mirrors it into each
 * checkpoint's metadata.
 */
export const MEMORY_PIN_KEY = "lessonMemoryPin";

/** Checkpoint metadata key holding the memory version a step ran against. */
export const MEMORY_VERSION_METADATA_KEY = "lessonloop_memory_version";

export const MemoryPinSchema = z
  .object({
    /** The memory version the run is served from. */
    version: VersionSchema,
    /** A fingerprint of the run's input; new input means a new run and a fresh pin. */
    input: z.string().max(200),
  })
  .strict();
export type MemoryPin = z.infer<typeof MemoryPinSchema>;
