import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChroma, type ChromaServer } from "@lessonloop/chroma";
import type { ScenarioReport } from "../scenario-report.js";
import { killHard, loadAverage, spawnScript, type ScriptProcess } from "./child-process.js";
import { RestartAgentMessageSchema, type RestartAgentInput, type RestartAgentMessage } from "./restart-agent-protocol.js";

export interface ChromaRestartParams {
  /** Runs of the first agent process; the Chroma server is killed twice during them. Default 24. */
  runs?: number;
  /** Runs of the second agent process, after the first was killed. Default 6. */
  laterRuns?: number;
  /** Every n-th task fails and teaches a lesson. Default 3. */
  failEvery?: number;
  /** Pause between runs (ms). Default 150. */
  pauseMs?: number;
}

type Agent = ScriptProcess<RestartAgentMessage>;
const answered = (agent: Agent) => agent.messages.filter((message) => message.type === "answered").length;

/**
 * Kills the real Chroma server (SIGKILL) twice under a running agent process
 * and restarts it on the same data folder and port, the second time only after
 * killing the agent process too (SIGKILL, while Chroma is down and episodes wait
 * to be learned). A second agent process on the same journal then runs more
 * tasks and drains. Every run must answer (without lessons and with a warning
 * while Chroma is down), and every acknowledged episode must end up learned.
 */
export async function runChromaRestartScenario({ runs = 24, laterRuns = 6, failEvery = 3, pauseMs = 150 }: ChromaRestartParams = {}): Promise<ScenarioReport> {
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-chroma-restart-"));
  const path = join(folder, "chroma");
  const agents: Agent[] = [];
  let chroma: ChromaServer | undefined;
  const started = Date.now();
  try {
    chroma = await startChroma({ path });
    const { port, url } = chroma;
    const at = (share: number) => Math.max(1, Math.round(runs * share));
    // The agent waits before these tasks while the scenario kills or restarts Chroma, so which runs meet an outage is fixed.
    const [down1, up1, down2] = [at(0.15), at(0.35), at(0.6)];
    const input = (from: number, to: number, drain: boolean): RestartAgentInput => ({
      chromaUrl: url,
      memoryName: "restart",
      journalPath: join(folder, "episodes.jsonl"),
      from,
      to,
      failEvery,
      pauseMs,
      drain,
      holdAt: drain ? [] : [down1, up1, down2],
      gateDir: folder,
    });
    const release = (task: number) => writeFile(join(folder, `go-${task}`), "go");
    const holding = (agent: Agent, task: number) => agent.waitFor((message) => message.type === "holding" && message.task === task, 120_000);
    // SIGKILL, so the server gets no chance to flush or close anything.
    const killChroma = async () => {
      process.kill(chroma?.pid as number, "SIGKILL");
      // The server's port is free again once the process is gone.
      await new Promise((resolve) => setTimeout(resolve, 300));
    };

    const first = spawnScript({ script: "faults/restart-agent.ts", input: input(0, runs, false), messageSchema: RestartAgentMessageSchema });
    agents.push(first);
    await first.waitFor((message) => message.type === "ready");
    // Outage 1 (tasks down1 … up1 − 1): the agent process lives through it and learns once the server is back.
    await holding(first, down1);
    await killChroma();
    await release(down1);
    await holding(first, up1);
    const ackedDuringOutage = first.messages.flatMap((message) => (message.type === "answered" ? [message.episodeId] : []));
    chroma = await startChroma({ path, port });
    // The same process learns what it recorded during the outage once the server is back.
    await first.waitFor(() => ackedDuringOutage.every((id) => first.messages.some((message) => message.type === "learned" && message.episodeId === id)), 120_000);
    const learnedInProcess = ackedDuringOutage.length;
    await release(up1);
    // Outage 2 (tasks down2 … runs − 1): the agent process is killed while Chroma is down.
    await holding(first, down2);
    await killChroma();
    await release(down2);
    await first.waitFor(() => answered(first) >= runs, 120_000);
    await killHard(first);
    chroma = await startChroma({ path, port });

    const second = spawnScript({ script: "faults/restart-agent.ts", input: input(runs, runs + laterRuns, true), messageSchema: RestartAgentMessageSchema });
    agents.push(second);
    await second.waitFor((message) => message.type === "drained", 180_000);

    const messages = agents.flatMap((agent) => agent.messages);
    const acked = new Set(messages.flatMap((message) => (message.type === "answered" ? [message.episodeId] : [])));
    const learned = new Set(messages.flatMap((message) => (message.type === "learned" ? [message.episodeId] : [])));
    const lost = [...acked].filter((id) => !learned.has(id));
    const runFailures = messages.filter((message) => message.type === "run_failed").length;
    const warnedRuns = messages.filter((message) => message.type === "answered" && message.warned).length;
    const retries = messages.filter((message) => message.type === "learning_failed" && message.retrying).length;
    const failuresGivenUp = messages.filter((message) => message.type === "learning_failed" && !message.retrying).length;
    const replayed = second.messages.find((message) => message.type === "ready");
    const drained = second.messages.find((message) => message.type === "drained");
    const failingTasks = Array.from({ length: runs + laterRuns }, (_, index) => index).filter((index) => index % failEvery === 0).length;
    const lessons = drained?.type === "drained" ? drained.lessons : 0;
    const figures = {
      runs: runs + laterRuns,
      runsAnswered: acked.size,
      runFailures,
      runsWarnedNoLessons: warnedRuns,
      episodesAcknowledged: acked.size,
      episodesLearned: [...acked].filter((id) => learned.has(id)).length,
      episodesLost: lost.length,
      episodesLearnedInProcessAfterOutage1: learnedInProcess,
      episodesReplayedFromJournal: replayed?.type === "ready" ? replayed.replayed : 0,
      learningRetriesWhileDown: retries,
      learningFailuresGivenUp: failuresGivenUp,
      lessonsMerged: lessons,
      lessonsExpected: failingTasks,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    return {
      name: "chroma-killed-mid-run",
      figures,
      passed: lost.length === 0 && runFailures === 0 && warnedRuns > 0 && acked.size === runs + laterRuns && lessons === failingTasks,
      notes: [
        `Chroma SIGKILLed twice and restarted on the same folder and port; the first agent process SIGKILLed during the second outage; a second one drained the journal.`,
        `runs=${runs}+${laterRuns}, failEvery=${failEvery}, pauseMs=${pauseMs}, load ${await loadAverage()}`,
        ...(lost.length > 0 ? [`lost episodes: ${lost.slice(0, 5).join(", ")}`] : []),
      ],
    };
  } finally {
    await Promise.all(agents.map((agent) => killHard(agent)));
    await chroma?.stop();
    await rm(folder, { recursive: true, force: true });
  }
}
