import { z } from "zod";

const ms = z.number().nonnegative();
const count = z.number().int().nonnegative();

/** A median over repeated runs, with the lowest and highest run: the spread is the machine's noise. */
export const RepeatedSchema = z.object({ median: ms, min: ms, max: ms }).strict();
export type Repeated = z.infer<typeof RepeatedSchema>;

/** Latency percentiles of one kind of call: each the median of the repeats' percentiles. */
export const LatencySchema = z.object({ p50: RepeatedSchema, p99: RepeatedSchema, samplesPerRepeat: count }).strict();
export type Latency = z.infer<typeof LatencySchema>;

export const ProcessMemorySchema = z.object({ rssMiB: ms, peakMiB: ms }).strict();
export type ProcessMemory = z.infer<typeof ProcessMemorySchema>;

export const LoadSchema = z.tuple([z.number(), z.number(), z.number()]);

export const HotPathSizeSchema = z
  .object({
    lessons: count,
    fillSeconds: ms,
    /** The retriever node on the first step of a run (new input: one search, in the live index or in Chroma). */
    firstStep: LatencySchema,
    /** The retriever node on a later step of the same run (pinned version: answered from its cache). */
    pinnedStep: LatencySchema,
    /** `memory.search` alone, k = the retriever's candidates. */
    searchOnly: LatencySchema,
    /**
     * The floor of a first step: an exact cosine top-k (k = the retriever's candidates) over every
     * lesson vector of the memory in one Float32Array in this process (packed as the live index packs
     * a tenant's, every tenant at once), the query embedded, nothing else.
     */
    exactFloor: LatencySchema,
    /** Our first-step p50 / the exact floor's p50 (lower is better for ours). */
    firstStepVsFloor: ms,
    /**
     * The memory's in-process live index (0 lessons when off or above its size), how long it took to
     * load, the size of its vectors (lessons × dimensions × 4 bytes), and how much the process's heap
     * and array buffers grew while it loaded (after the garbage the load left is collected, when the
     * process runs with --expose-gc; otherwise noisy).
     */
    liveIndex: z.object({ lessons: count, loadSeconds: ms, vectorMiB: ms, heapMiB: z.number() }).strict(),
    /** LangGraph's InMemoryStore semantic search over the same lessons, same embedder, same scope filter. */
    inMemoryStore: LatencySchema,
    /** InMemoryStore search p50 / our first-step p50 (higher is better for ours). */
    speedupVsInMemoryStore: ms,
    /** Prompt tokens of the lessons message per step (ours, under the budget). */
    ourTokens: z.object({ p50: ms, max: ms }).strict(),
    /** Prompt tokens of every lesson that applies to the step's scope, rendered the same way (median over steps). */
    allLessonsTokens: ms,
    /** The process's and the Chroma server's memory right after this size was measured (before the InMemoryStore baseline). */
    processMemory: ProcessMemorySchema,
    chromaMemory: ProcessMemorySchema,
    /** The 1-minute load average while this size was measured. */
    load: z.number(),
  })
  .strict();
export type HotPathSize = z.infer<typeof HotPathSizeSchema>;

export const ValidationRunSchema = z
  .object({
    validators: count,
    storedCases: count,
    /** Runner calls (simulated model calls) per lesson. */
    callsPerLesson: count,
    wallMs: RepeatedSchema,
    /** calls × latency / concurrency. */
    idealMs: ms,
    /** wall / ideal, median over repeats. */
    ratio: RepeatedSchema,
    decision: z.string(),
  })
  .strict();
export type ValidationRun = z.infer<typeof ValidationRunSchema>;

export const SnapshotSizeSchema = z
  .object({ lessons: count, commitOne: LatencySchema, rollback: LatencySchema })
  .strict();
export type SnapshotSize = z.infer<typeof SnapshotSizeSchema>;

export const GrowthSchema = z.discriminatedUnion("status", [
  z
    .object({
      status: z.literal("measured"),
      environment: z.string(),
      points: z.array(z.object({ episodes: count, failures: count, liveLessons: count }).strict()),
      lessonsPerFailure: ms,
    })
    .strict(),
  z.object({ status: z.literal("skipped"), reason: z.string() }).strict(),
]);
export type Growth = z.infer<typeof GrowthSchema>;

export const TargetSchema = z
  .object({ section: z.string(), name: z.string(), target: z.string(), measured: z.string(), met: z.boolean() })
  .strict();
export type Target = z.infer<typeof TargetSchema>;

/** How `perf.json` says it is written by a command, not by hand. */
export const GENERATED_BY_PERF = "by pnpm bench:perf — do not edit" as const;

/** The shape of `evals/results/perf.json`. */
export const PerfResultsSchema = z
  .object({
    generated: z.literal(GENERATED_BY_PERF),
    measuredAt: z.string(),
    command: z.string(),
    durationSeconds: ms,
    machine: z.object({ node: z.string(), platform: z.string(), cpus: count, cpuModel: z.string(), totalMemoryMiB: ms }).strict(),
    /** 1, 5 and 15-minute load averages: the machine is shared, so this is the noise floor of every figure. */
    loadBefore: LoadSchema,
    loadAfter: LoadSchema,
    parameters: z.record(z.string(), z.unknown()),
    hotPath: z.array(HotPathSizeSchema),
    validation: z.object({ latencyMs: ms, concurrency: count, runs: z.array(ValidationRunSchema) }).strict(),
    snapshots: z.object({ sizes: z.array(SnapshotSizeSchema), rollbackRatio: ms }).strict(),
    growth: GrowthSchema,
    targets: z.array(TargetSchema),
  })
  .strict();
export type PerfResults = z.infer<typeof PerfResultsSchema>;
