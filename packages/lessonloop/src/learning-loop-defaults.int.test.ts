// createLearningLoop's defaults: the embedded Chroma server when no memory or store is
// given (stopped by close()), a given server left running, the proposer kept off its own
// lesson's validation, and a clear error without validators.
import { LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { isProcessRunning, testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { createLearningLoop } from "./learning-loop.js";
import { RIGHT_LESSON, ROLE_PLAY_TOOLS, createLearnerModel, createPeerModel, failedInvoiceEpisode } from "./tests/invoice-world.js";

async function heartbeat(url: string): Promise<boolean> {
  const response = await fetch(`${url}/api/v2/heartbeat`);
  await response.body?.cancel();
  return response.ok;
}

describe("createLearningLoop defaults", () => {
  it("starts the embedded Chroma server when given no memory or store, learns on it, and close() stops it", async () => {
    const loop = await createLearningLoop({
      learnerModel: createLearnerModel(RIGHT_LESSON),
      validatorModels: [createPeerModel("a"), createPeerModel("b"), createPeerModel("c")],
      criticModel: null,
      tools: ROLE_PLAY_TOOLS,
      // A temporary folder: the default kept one is tested in loop-memory-kept.int.test.ts.
      chromaPath: null,
    });
    const server = loop.chroma;
    try {
      expect(server?.external).toBe(false);
      expect(server?.pid).toBeTypeOf("number");
      const result = await loop.learn(failedInvoiceEpisode("ep-default"));
      expect(result.merged).toHaveLength(1);
      expect(await loop.memory.headVersion()).toBe(1);
      expect(await loop.edgeCaseStore.count()).toBe(1);
      // Beside the default memory, where `lessonloop show` reads it.
      expect(await loop.verdictStore?.find(result.merged[0] as string)).toEqual(result.lessons[0]?.verdict);
    } finally {
      await loop.close();
    }
    expect(isProcessRunning(server?.pid as number)).toBe(false);
  });

  it("uses the Chroma server at chromaUrl and leaves it running on close()", async () => {
    const url = testChromaUrl();
    const loop = await createLearningLoop({
      learnerModel: createLearnerModel(RIGHT_LESSON),
      validatorModels: [createPeerModel("a"), createPeerModel("b"), createPeerModel("c")],
      criticModel: null,
      chromaUrl: url,
      memoryName: uniqueCollectionName("loop-defaults"),
      edgeCaseCollection: uniqueCollectionName("loop-defaults-cases"),
    });
    expect(loop.chroma).toMatchObject({ url, external: true });
    await loop.close();
    expect(await heartbeat(url)).toBe(true);
  });

  it("keeps outcomes in the default memory's Chroma ledger, where a reopened loop finds them", async () => {
    const params = {
      learnerModel: createLearnerModel(RIGHT_LESSON),
      validatorModels: [createPeerModel("a"), createPeerModel("b"), createPeerModel("c")],
      criticModel: null,
      chromaUrl: testChromaUrl(),
      memoryName: uniqueCollectionName("loop-ledger"),
    };
    const loop = await createLearningLoop(params);
    await loop.credit({ ...failedInvoiceEpisode("ep-ledger"), servedLessons: ["some-lesson"] });
    await loop.close();
    const reopened = await createLearningLoop(params);
    try {
      expect(await reopened.ledger.countOutcomes({ served: "some-lesson" })).toEqual({ successes: 0, failures: 1, unknown: 0 });
    } finally {
      await reopened.close();
    }
  });

  it("never lets the learner's own model vote on the lessons it proposed", async () => {
    const learnerModel = createLearnerModel(RIGHT_LESSON);
    const loop = await createLearningLoop({
      learnerModel,
      validatorModels: [learnerModel, createPeerModel("b"), createPeerModel("c")],
      criticModel: null,
      tools: ROLE_PLAY_TOOLS,
      chromaUrl: testChromaUrl(),
      memoryName: uniqueCollectionName("loop-proposer"),
      edgeCaseCollection: uniqueCollectionName("loop-proposer-cases"),
    });
    try {
      expect(loop.validators.map((validator) => validator.id)).toEqual(["lessonloop-learner", "peer-2", "peer-3"]);
      const result = await loop.learn(failedInvoiceEpisode("ep-proposer"));
      const verdict = result.lessons[0]?.verdict;
      expect(verdict?.votes.map((vote) => vote.validator).sort()).toEqual(["peer-2", "peer-3"]);
      expect(verdict?.reason).toContain("lessonloop-learner");
      expect(learnerModel.calls.map((call) => call.tools[0]?.name)).not.toContain("agent_decision");
    } finally {
      await loop.close();
    }
  });

  it("asks for validators before starting anything", async () => {
    const error = await rejectionOf(createLearningLoop({ learnerModel: createLearnerModel(RIGHT_LESSON) }));
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect(String(error)).toContain("validatorModels");
  });
});
