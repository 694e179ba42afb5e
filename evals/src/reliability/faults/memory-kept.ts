import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  listedLessonIds,
  runKeptMemoryScript,
  runLessonloopCli,
  type KeptMemoryScript,
} from "../../../../packages/lessonloop/src/tests/kept-memory-harness.js";
import type { ScenarioReport } from "../scenario-report.js";
import { loadAverage } from "./child-process.js";

export interface MemoryKeptParams {
  /** Restarts tried, each in a fresh working directory; they alternate between ending with and without `close()`. Default 6. */
  cycles?: number;
  /** Lessons the first process learns in each cycle. Default 10. */
  lessons?: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? (sorted[middle] as number) : Math.round(((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2);
};
const kept = (found: readonly string[], learned: ReadonlySet<string>) => found.filter((id) => learned.has(id)).length;

/** Waits for a script's exit code, killing it if it has not ended in `timeoutMs` (a script that never ends is a finding, not a hang). */
async function exitCode(script: KeptMemoryScript, timeoutMs = 60_000): Promise<number | null> {
  const timer = setTimeout(() => script.child.kill("SIGKILL"), timeoutMs);
  try {
    return await script.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Learning survives a restart (issue 20, item 8), as a user sees it, with real processes in a
 * fresh working directory and no CHROMA_URL: a process learns `lessons` lessons on the loop's
 * defaults (the embedded server on ./.lessonloop) and ends — after `close()` or without it —; a
 * new process opens a loop there and lists them and serves one; `lessonloop list --json` with no
 * flags lists them, once with no loop running (its own server on the folder) and once through a
 * running loop's server. The harness is the one of loop-memory-kept.int.test.ts.
 */
export async function runMemoryKeptScenario({ cycles = 6, lessons = 10 }: MemoryKeptParams = {}): Promise<ScenarioReport> {
  let learnedTotal = 0;
  let keptByNextProcess = 0;
  let listedWithoutLoop = 0;
  let listedThroughLoop = 0;
  let cleanExits = 0;
  let exits = 0;
  let servedFirstLesson = 0;
  const openToFirstLesson: number[] = [];
  const processStartToFirstLesson: number[] = [];
  const spawnToFirstLesson: number[] = [];
  const cliList: number[] = [];
  // Item 9 on the way: a script that learned and never called close() must still end.
  const endAfterClose: number[] = [];
  const endWithoutClose: number[] = [];
  for (let cycle = 0; cycle < cycles; cycle++) {
    const work = await mkdtemp(join(tmpdir(), "lessonloop-memory-kept-"));
    try {
      const close = cycle % 2 === 1;
      const learner = runKeptMemoryScript("learn", work, { lessons, close });
      const learned = new Set((await learner.printed).lessons);
      const printed = performance.now();
      learnedTotal += learned.size;
      exits++;
      if ((await exitCode(learner)) === 0) cleanExits++;
      (close ? endAfterClose : endWithoutClose).push(Math.round(performance.now() - printed));

      const spawned = performance.now();
      const next = runKeptMemoryScript("count", work, { close });
      const restarted = await next.printed;
      const printedAt = performance.now();
      exits++;
      if ((await exitCode(next)) === 0) cleanExits++;
      keptByNextProcess += kept(restarted.lessons, learned);
      if (restarted.openToFirstLessonMs >= 0 && kept(restarted.served, learned) > 0) {
        servedFirstLesson++;
        openToFirstLesson.push(restarted.openToFirstLessonMs);
        processStartToFirstLesson.push(restarted.processStartToFirstLessonMs);
        spawnToFirstLesson.push(Math.round(printedAt - spawned));
      }

      const listStarted = performance.now();
      const listed = await runLessonloopCli(["list", "--json"], work);
      cliList.push(Math.round(performance.now() - listStarted));
      if (listed.code === 0) listedWithoutLoop += kept(listedLessonIds(listed.stdout), learned);

      const holder = runKeptMemoryScript("hold", work);
      try {
        await holder.printed;
        const through = await runLessonloopCli(["list", "--json"], work);
        if (through.code === 0) listedThroughLoop += kept(listedLessonIds(through.stdout), learned);
      } finally {
        holder.child.kill("SIGTERM");
        exits++;
        if ((await exitCode(holder)) === 0) cleanExits++;
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const expected = cycles * lessons;
  const figures: Record<string, number> = {
    cycles,
    lessonsPerCycle: lessons,
    lessonsLearned: learnedTotal,
    lessonsKeptByNextProcess: keptByNextProcess,
    lessonsListedByCliWithoutLoop: listedWithoutLoop,
    lessonsListedByCliThroughLoop: listedThroughLoop,
    nextProcessesServingFirstLesson: servedFirstLesson,
    p50OpenToFirstLessonMs: median(openToFirstLesson),
    p50ProcessStartToFirstLessonMs: median(processStartToFirstLesson),
    p50SpawnToFirstLessonMs: median(spawnToFirstLesson),
    p50CliListWithoutLoopMs: median(cliList),
    p50LearnerEndWithoutCloseMs: median(endWithoutClose),
    p50LearnerEndAfterCloseMs: median(endAfterClose),
    processesExitedWithCode0: cleanExits,
    processesStarted: exits,
  };
  const notes = [
    `${cycles} cycles in fresh working directories, ${lessons} lessons learned in each; the learning process called close() in ${Math.floor(cycles / 2)} of them and simply ended in ${Math.ceil(cycles / 2)}.`,
    "open-to-first-lesson: createLearningLoop on the kept folder (its embedded server started) to the first lesson a selector served; process-start adds Node and tsx loading the TypeScript sources (a user runs built JavaScript); spawn adds starting node.",
    `Medians of ${openToFirstLesson.length} restarts; the CLI's time includes starting its own server on the folder; a learner's end is from its last output to its exit (close() included when called; a process not ended in 60 s is killed and counted as not exiting with 0). load ${await loadAverage()}`,
  ];
  const passed =
    learnedTotal === expected &&
    keptByNextProcess === expected &&
    listedWithoutLoop === expected &&
    listedThroughLoop === expected &&
    servedFirstLesson === cycles &&
    cleanExits === exits;
  return { name: "memory-kept", figures, passed, notes };
}
