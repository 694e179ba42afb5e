import { createSeededRandom, type SeededRandom } from "@lessonloop/core/testing";
import type { DriftPoint } from "../environments/environment.js";
import { combineSeedRuns } from "../harness/combine-seeds.js";
import { summarize } from "../harness/metrics.js";
import type { MultiSeedResults } from "../harness/multi-seed-results.js";
import {
  StrategyNameSchema,
  type BenchmarkResults,
  type EnvironmentResult,
  type EpisodeRecord,
  type LessonEvent,
  type RegressionEvent,
  type RollbackEvent,
  type StrategyName,
  type StrategyResult,
} from "../harness/results.js";

/**
 * Made-up results with plausible shapes (curves that dip at drifts and recover
 * at different speeds, good and bad lessons, a rollback) for the report's tests
 * and for looking at the report before a real run exists. Never presented as
 * results: its parameters say `fixture: true`, and the report shows them.
 */
export interface FixtureResultsParams {
  /** Seed of the made-up outcomes. */
  seed?: number;
  /** Episodes per environment. */
  episodes?: number;
}

interface FixtureWorld {
  name: string;
  description: string;
  kinds: string[];
  /** The users who ask, where users differ. */
  users?: string[];
  /** Drift positions as fractions of the stream. */
  drifts: { at: number; change: string; kinds: string[]; users?: string[] }[];
  /** Share of proposed lessons that are wrong (poisoned feedback makes many). */
  badLessonShare: number;
  /** Lessons right for the world, and wrong ones (what poisoned feedback or a careless learner yields). */
  lessonTexts: { correct: string[]; incorrect: string[] };
}

const WORLDS: FixtureWorld[] = [
  {
    name: "api-drift",
    description: "Tools whose parameters and units change under the agent.",
    kinds: ["invoice", "shipment", "refund"],
    drifts: [
      { at: 0.3, change: "invoice amounts are now sent in cents", kinds: ["invoice"] },
      { at: 0.6, change: "shipment `dest` renamed to `destination`", kinds: ["shipment"] },
    ],
    badLessonShare: 0.15,
    lessonTexts: {
      correct: [
        "When creating an invoice, send amount_cents = amount × 100.",
        "Pass the shipment address as `destination`, not `dest`.",
      ],
      incorrect: ["Send invoice amounts in thousands.", "Retry every failed shipment call ten times."],
    },
  },
  {
    name: "user-preferences",
    description: "Users whose tastes change, each in their own scope.",
    kinds: ["summary", "email", "report"],
    users: ["ana", "bo"],
    drifts: [
      { at: 0.25, change: "ana wants summaries as bullet points", kinds: ["summary"], users: ["ana"] },
      { at: 0.55, change: "reports go to the team channel, not email", kinds: ["report", "email"] },
    ],
    badLessonShare: 0.2,
    lessonTexts: {
      correct: [
        "For ana, write summaries as at most five bullet points.",
        "Post weekly reports to #team instead of emailing them.",
      ],
      incorrect: ["Write every user's summaries as bullet points.", "Never send email to anyone."],
    },
  },
  {
    name: "policy-shift",
    description: "Business rules that tighten over time.",
    kinds: ["refund", "discount"],
    drifts: [
      { at: 0.4, change: "refunds over 500 € need a manager's approval", kinds: ["refund"] },
      { at: 0.7, change: "discounts capped at 15 %", kinds: ["discount"] },
    ],
    badLessonShare: 0.15,
    lessonTexts: {
      correct: ["Ask a manager to approve any refund above 500 €.", "Never grant a discount above 15 %."],
      incorrect: ["Refuse every refund above 50 €.", "Grant a 20 % discount when the customer complains."],
    },
  },
  {
    name: "poisoned-feedback",
    description: "Some users give wrong feedback on purpose; learning must not believe them.",
    kinds: ["invoice", "refund"],
    drifts: [{ at: 0.35, change: "invoice due dates are now ISO 8601", kinds: ["invoice"] }],
    badLessonShare: 0.5,
    lessonTexts: {
      correct: ["Write invoice due dates as YYYY-MM-DD.", "Check the order before refunding it."],
      incorrect: ["Always refund the full amount without checking the order.", "Skip the fraud check for returning customers."],
    },
  },
];

/** How fast each strategy recovers affected episodes after a drift (episodes to ~63 %), and its ceiling. */
const BEHAVIOUR: Record<StrategyName, { recoverIn: number; ceiling: number; learns: boolean }> = {
  static: { recoverIn: Number.POSITIVE_INFINITY, ceiling: 0.9, learns: false },
  reflection: { recoverIn: 14, ceiling: 0.75, learns: false },
  unvalidated: { recoverIn: 4, ceiling: 0.88, learns: true },
  lessonloop: { recoverIn: 5, ceiling: 0.92, learns: true },
  oracle: { recoverIn: 0, ceiling: 0.96, learns: false },
};

const usage = (random: SeededRandom, calls: number, prompt: number, completion: number) => ({
  calls,
  promptTokens: calls === 0 ? 0 : Math.round(prompt * (0.8 + 0.4 * random.next())),
  completionTokens: calls === 0 ? 0 : Math.round(completion * (0.8 + 0.4 * random.next())),
});

interface FixtureTask {
  kind: string;
  user: string | undefined;
}

function fixtureStrategy(
  world: FixtureWorld,
  drifts: DriftPoint[],
  strategy: StrategyName,
  tasks: readonly FixtureTask[],
  random: SeededRandom,
): StrategyResult {
  const behaviour = BEHAVIOUR[strategy];
  const episodes: EpisodeRecord[] = [];
  const lessons: LessonEvent[] = [];
  const rollbacks: RollbackEvent[] = [];
  const regressions: RegressionEvent[] = [];
  /** Affected episodes seen since the latest drift, per kind and user. */
  const sinceDrift = new Map<string, number>();
  /** Episodes left during which a bad merged lesson hurts a kind. */
  const harm = new Map<string, number>();
  let memory = 0;
  let version = 0;
  let reflections = 0;

  tasks.forEach(({ kind, user }, index) => {
    const drift = drifts
      .filter((d) => d.at <= index && d.kinds.includes(kind) && (d.users === undefined || d.users.includes(user ?? "")))
      .at(-1);
    let chance = behaviour.ceiling;
    if (drift !== undefined) {
      const key = `${kind}/${user ?? ""}`;
      const seen = sinceDrift.get(key) ?? 0;
      sinceDrift.set(key, seen + 1);
      const recovered = behaviour.recoverIn === 0 ? 1 : 1 - Math.exp(-seen / behaviour.recoverIn);
      chance = 0.2 + (behaviour.ceiling - 0.2) * recovered;
    }
    if ((harm.get(kind) ?? 0) > 0) {
      chance -= 0.45;
      harm.set(kind, (harm.get(kind) ?? 0) - 1);
    }
    const passed = random.chance(Math.max(0.02, Math.min(0.99, chance)));
    let learning = usage(random, 0, 0, 0);

    if (!passed && strategy === "reflection") {
      reflections += 1;
      learning = usage(random, 1, 700, 120);
    }
    if (!passed && behaviour.learns && random.chance(0.6)) {
      const grade = random.chance(world.badLessonShare) ? "incorrect" : "correct";
      const validated = strategy === "lessonloop";
      const merged = validated ? random.chance(grade === "correct" ? 0.85 : 0.08) : true;
      const lessonId = `${world.name}-${strategy}-${index}`;
      const yes = merged ? random.int(2, 3) : random.int(0, 1);
      lessons.push({
        at: index,
        lessonId,
        text: random.pick(world.lessonTexts[grade]),
        scope: random.chance(0.3) ? `acme/${random.pick(["ana", "bo"])}` : "acme",
        grade,
        outcome: merged ? "merged" : "rejected",
        ...(validated ? { votes: `${yes}-${3 - yes}` } : {}),
      });
      learning = validated ? usage(random, 11, 5200, 700) : usage(random, 2, 1400, 260);
      if (merged) {
        memory += 1;
        version += 1;
        if (grade === "incorrect") {
          harm.set(kind, validated ? 6 : 40);
          regressions.push({ at: index, lessonId, probeTaskId: `${world.name}#${Math.max(0, index - 7)}`, reason: "probe failed after the merge" });
          if (validated) {
            rollbacks.push({ at: index + 6, fromVersion: version, toVersion: version - 1, reason: "success dropped after the merge" });
          }
        }
      }
    }
    // The rollback lands a few episodes after the bad merge.
    if (rollbacks.some((rollback) => rollback.at === index)) memory = Math.max(0, memory - 1);

    const size =
      strategy === "reflection"
        ? Math.min(reflections, 3)
        : strategy === "oracle"
          ? drifts.filter((d) => d.at <= index).length
          : memory;
    // The retriever fits lessonloop's context to a budget; unvalidated puts every lesson in.
    const perItem = { static: 0, reflection: 60, unvalidated: 35, lessonloop: 35, oracle: 30 }[strategy];
    const contextTokens = perItem * (strategy === "lessonloop" ? Math.min(size, 6) : size);
    episodes.push({
      index,
      taskId: `${world.name}#${index}`,
      kind,
      ...(user === undefined ? {} : { user }),
      passed,
      reason: passed ? "the resulting state is right" : "the resulting state is wrong",
      agent: usage(random, random.int(2, 4), 900 + contextTokens, 90),
      learning,
      contextTokens,
      memorySize: size,
      memoryVersion: strategy === "lessonloop" ? version : 0,
    });
  });

  const wallMs = tasks.length * (behaviour.learns ? 9 : 2) * (0.8 + 0.4 * random.next());
  // A rollback due after the last episode never happened.
  const happened = rollbacks.filter((rollback) => rollback.at < tasks.length);
  return {
    strategy,
    episodes,
    lessons,
    rollbacks: happened,
    regressions,
    summary: summarize({ episodes, lessons, rollbacks: happened, regressions, drifts, wallMs }),
  };
}

/** A `BenchmarkResults` for 5 strategies × 4 environments, made up from `seed` (see the type's note). */
export function createFixtureResults({ seed = 7, episodes = 240 }: FixtureResultsParams = {}): BenchmarkResults {
  const random = createSeededRandom(seed);
  const environments: EnvironmentResult[] = WORLDS.map((world) => {
    const drifts = world.drifts.map((drift) => ({ ...drift, at: Math.round(drift.at * episodes) }));
    const tasks = Array.from({ length: episodes }, () => ({
      kind: random.pick(world.kinds),
      user: world.users === undefined ? undefined : random.pick(world.users),
    }));
    const strategies = StrategyNameSchema.options.map((strategy) =>
      fixtureStrategy(world, drifts, strategy, tasks, createSeededRandom(random.int(0, 2 ** 31))),
    );
    return { name: world.name, description: world.description, drifts, strategies };
  });
  const wallMs = environments.reduce(
    (sum, environment) => sum + environment.strategies.reduce((inner, s) => inner + s.summary.wallMs, 0),
    0,
  );
  return {
    schemaVersion: 1,
    mode: "sim",
    seed,
    episodes,
    parameters: {
      fixture: true,
      "agent.slipRate": 0.05,
      "learner.badLessonRate": 0.15,
      "validator.errorRate": 0.1,
      validators: 3,
      policy: "majority",
      "monitor.window": 20,
    },
    startedAt: "2026-01-01T00:00:00.000Z",
    wallMs,
    machine: { cpus: 2, node: "v20.20.0", platform: "linux-x64" },
    environments,
  };
}

export interface FixtureMultiSeedParams {
  /** Seeds of the made-up runs, each one `createFixtureResults({ seed })`. */
  seeds?: readonly number[];
  /** Episodes per environment. */
  episodes?: number;
}

/** Made-up multi-seed results (`results.json` schema version 2) from fixture seeds; `fixture: true` in the parameters. */
export function createFixtureMultiSeedResults({ seeds = [1, 2, 3], episodes = 240 }: FixtureMultiSeedParams = {}): MultiSeedResults {
  const runs = seeds.map((seed) => createFixtureResults({ seed, episodes }));
  return combineSeedRuns({
    runs,
    startedAt: "2026-01-01T00:00:00.000Z",
    wallMs: runs.reduce((sum, run) => sum + run.wallMs, 0) / 2,
    jobs: 2,
  });
}
