import { EpisodeSchema, LessonSchema, type EpisodeInput, type LessonInput, type LessonMemory, type Scope } from "@lessonloop/core";
import {
  MAX_EXAMPLE_EPISODES,
  condenseTrajectory,
  parseWith,
  type CondenseTrajectoryOptions,
  type Example,
  type ExampleStore,
} from "@lessonloop/core/internal";
import { createHash } from "node:crypto";
import { z } from "zod";

/** How the learning loop keeps successful runs as examples. */
export interface ExampleRecordingParams {
  /**
   * Cosine similarity of two tasks (by the store's embedder) from which a new
   * successful run in the same scope strengthens the stored example instead of
   * adding one. Default 0.9: near-identical wording only (provisional, not yet
   * measured).
   */
  duplicateSimilarity?: number;
  /**
   * Cosine similarity from which a failed run makes an example it would have
   * been served stale: the world the example showed has moved. Default 0.8
   * (provisional, not yet measured).
   */
  staleSimilarity?: number;
  /**
   * Most live examples kept per scope (exact scope: one user's, one tenant's
   * own). Past it, the weakest is removed — fewest runs it stands for, then
   * least recently strengthened. Default 50.
   */
  maxPerScope?: number;
  /** Most stale examples kept per scope for audit; past it the oldest go. Default 50. */
  maxStalePerScope?: number;
  /** How runs are condensed. Default 12 lines of at most 160 characters. */
  condense?: CondenseTrajectoryOptions;
}

const ParamsSchema = z
  .object({
    duplicateSimilarity: z.number().gt(0).max(1),
    staleSimilarity: z.number().gt(0).max(1),
    maxPerScope: z.number().int().min(1).max(10_000),
    maxStalePerScope: z.number().int().min(0).max(10_000),
  })
  .strict();

/** What recording one episode did. */
export type ExampleRecording =
  | { status: "added"; exampleId: string; evicted: string[] }
  | { status: "strengthened"; exampleId: string; strength: number }
  | { status: "marked_stale"; exampleIds: string[] }
  | { status: "skipped"; reason: "not_judged" | "no_steps" | "flagged" }
  /** The example store failed (reported as an `examples` warning); the episode's lessons are learned as usual. */
  | { status: "failed"; message: string };

export interface ExampleRecorder {
  /**
   * Records a judged episode: a success becomes an example (or strengthens a
   * near-identical one of its scope), a failure makes the similar examples
   * that would have been served to it stale. Also marks stale the examples
   * recorded after the version a rollback since the last call went back to.
   * A success the critic `flagged` (text addressing the agent's memory, or the
   * user's word contradicted by a deterministic signal) is not kept.
   */
  record(episode: EpisodeInput, status: "success" | "failure" | "unknown", options?: { flagged?: boolean }): Promise<ExampleRecording>;
  /** Marks stale the examples each rollback of memory since the last look undid; returns their ids. */
  reconcileRollbacks(): Promise<string[]>;
  /**
   * A lesson learned from `episode` (a failure) became live at `version`: the
   * examples within the lesson's scope of tasks similar to the episode's, kept
   * before it started, show what the lesson changes, and go stale from
   * `version`. With tools named by the lesson, only examples that called one
   * of them. Returns their ids.
   */
  lessonMerged(request: { lesson: LessonInput; version: number; episode: EpisodeInput }): Promise<string[]>;
}

/**
 * An example's id, from the episode it was first kept from: learning the same
 * episode again (a retry after a crash) writes the same example, and the
 * loop's id generator (lesson ids) is left alone.
 */
function exampleIdOf(episodeId: string): string {
  const id = `example-${episodeId}`;
  return id.length <= 128 ? id : `example-${createHash("sha256").update(episodeId).digest("hex").slice(0, 40)}`;
}

/** The newest rollbacks a look reads; older ones were seen by earlier looks (or at a restart, are re-marked harmlessly). */
const HISTORY_LOOK = 200;

/**
 * The learning loop's part of experience replay: keeps successful episodes as
 * condensed examples in `store`, deduplicated and bounded per scope, and marks
 * them stale when the world moved (a similar task failed after them, memory
 * was rolled back past them). Stale examples stay stored, not served.
 */
export function createExampleRecorder({
  store,
  memory,
  duplicateSimilarity = 0.9,
  staleSimilarity = 0.8,
  maxPerScope = 50,
  maxStalePerScope = 50,
  condense = {},
}: ExampleRecordingParams & { store: ExampleStore; memory: LessonMemory }): ExampleRecorder {
  parseWith(ParamsSchema, { duplicateSimilarity, staleSimilarity, maxPerScope, maxStalePerScope }, "example recording params");
  let lookedAt: number | undefined;

  async function reconcileRollbacks(): Promise<string[]> {
    const head = await memory.headVersion();
    if (lookedAt !== undefined && head <= lookedAt) return [];
    const since = lookedAt ?? -1;
    const snapshots = await memory.history({ limit: Math.min(HISTORY_LOOK, Math.max(1, head - since)) });
    const marked: string[] = [];
    // Oldest first, so an example undone twice is stale from the first rollback.
    for (const snapshot of [...snapshots].reverse()) {
      if (snapshot.version <= since || snapshot.kind !== "rollback" || snapshot.restores === undefined) continue;
      marked.push(
        ...(await store.markStale({
          recordedAfter: snapshot.restores,
          ...(snapshot.scope === undefined ? {} : { within: snapshot.scope }),
          since: snapshot.version,
          reason: "rollback",
          by: `v${snapshot.version}`,
        })),
      );
    }
    lookedAt = head;
    return marked;
  }

  /** Keeps a scope within its bounds: the weakest live examples, then the oldest stale ones, go. */
  async function bound(scope: Scope): Promise<string[]> {
    const all = await store.list({ scope, match: "exact", includeStale: true });
    const live = all.filter((example) => example.staleSince === undefined);
    const stale = all.filter((example) => example.staleSince !== undefined);
    const weakestFirst = (a: Example, b: Example) => a.strength - b.strength || Date.parse(a.reinforcedAt) - Date.parse(b.reinforcedAt) || a.id.localeCompare(b.id);
    const evicted = [...live.sort(weakestFirst).slice(0, Math.max(0, live.length - maxPerScope)), ...stale.slice(0, Math.max(0, stale.length - maxStalePerScope))];
    if (evicted.length > 0) await store.delete(evicted.map((example) => example.id));
    return evicted.map((example) => example.id);
  }

  async function recordSuccess(episode: z.output<typeof EpisodeSchema>): Promise<ExampleRecording> {
    const steps = condenseTrajectory(episode.trajectory, condense);
    if (steps.length === 0 || episode.input.trim() === "") return { status: "skipped", reason: "no_steps" };
    // When the run happened, not when it was learned: a failure is "after" an example by the runs' times.
    const ranAt = episode.endedAt ?? episode.startedAt;
    const [nearest] = await store.search({ query: episode.input, scope: episode.scope, match: "exact", k: 1 });
    if (nearest !== undefined && nearest.score >= duplicateSimilarity) {
      const { example } = nearest;
      // The run it first showed stays as recorded (a read at an earlier version sees the same steps); it now stands for one more.
      const episodes = example.episodes.includes(episode.id) ? example.episodes : [example.episodes[0] as string, ...example.episodes.slice(1), episode.id];
      const kept = episodes.length > MAX_EXAMPLE_EPISODES ? [episodes[0] as string, ...episodes.slice(-(MAX_EXAMPLE_EPISODES - 1))] : episodes;
      const strength = example.episodes.includes(episode.id) ? example.strength : example.strength + 1;
      const reinforcedAt = Date.parse(ranAt) > Date.parse(example.reinforcedAt) ? ranAt : example.reinforcedAt;
      await store.add([{ ...example, episodes: kept, strength, reinforcedAt }]);
      return { status: "strengthened", exampleId: example.id, strength };
    }
    const exampleId = exampleIdOf(episode.id);
    await store.add([
      {
        id: exampleId,
        scope: episode.scope,
        input: episode.input,
        steps,
        episodes: [episode.id],
        strength: 1,
        recordedAt: episode.memoryVersion,
        createdAt: ranAt,
        reinforcedAt: ranAt,
      },
    ]);
    return { status: "added", exampleId, evicted: await bound(episode.scope) };
  }

  async function recordFailure(episode: z.output<typeof EpisodeSchema>): Promise<ExampleRecording> {
    if (episode.input.trim() === "") return { status: "marked_stale", exampleIds: [] };
    // The examples this run would have been served: the world they showed no longer holds for a task like it.
    const similar = await store.search({ query: episode.input, scope: episode.scope, match: "applies", k: 20 });
    const started = Date.parse(episode.startedAt);
    const outdated = similar.filter(({ example, score }) => score >= staleSimilarity && Date.parse(example.createdAt) <= started && !example.episodes.includes(episode.id));
    if (outdated.length === 0) return { status: "marked_stale", exampleIds: [] };
    const since = await memory.headVersion();
    const exampleIds = await store.markStale({ ids: outdated.map(({ example }) => example.id), since, reason: "similar_failure", by: episode.id });
    return { status: "marked_stale", exampleIds };
  }

  async function lessonMerged(request: { lesson: LessonInput; version: number; episode: EpisodeInput }): Promise<string[]> {
    const lesson = parseWith(LessonSchema, request.lesson, "merged lesson");
    const episode = parseWith(EpisodeSchema, request.episode, "episode of the merged lesson");
    if (episode.input.trim() === "") return [];
    const similar = await store.search({ query: episode.input, scope: lesson.scope, match: "within", k: 50 });
    const started = Date.parse(episode.startedAt);
    const tools = lesson.tools ?? [];
    const calls = (example: Example, tool: string) => example.steps.some((step) => step.startsWith(`call ${tool}(`));
    const contradicted = similar.filter(
      ({ example, score }) => score >= staleSimilarity && Date.parse(example.createdAt) <= started && (tools.length === 0 || tools.some((tool) => calls(example, tool))),
    );
    if (contradicted.length === 0) return [];
    return store.markStale({ ids: contradicted.map(({ example }) => example.id), within: lesson.scope, since: request.version, reason: "contradicting_lesson", by: lesson.id });
  }

  return {
    reconcileRollbacks,
    lessonMerged,
    async record(input, status, { flagged = false } = {}) {
      const episode = parseWith(EpisodeSchema, input, "episode");
      await reconcileRollbacks();
      if (status === "success") return flagged ? { status: "skipped", reason: "flagged" } : recordSuccess(episode);
      if (status === "failure") return recordFailure(episode);
      return { status: "skipped", reason: "not_judged" };
    },
  };
}
