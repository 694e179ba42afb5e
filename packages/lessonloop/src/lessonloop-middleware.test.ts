// `langchain` is an optional peer dependency: without it lessonloop still loads, and only
// lessonloopMiddleware says what is missing.
import { LessonloopError } from "@lessonloop/core";
import { afterEach, expect, it, vi } from "vitest";
import type { LearningLoop } from "./learning-loop.js";

afterEach(() => {
  vi.doUnmock("langchain");
  vi.resetModules();
});

it("loads without langchain, and lessonloopMiddleware then throws a typed error saying to install it", async () => {
  vi.resetModules();
  vi.doMock("langchain", () => {
    throw new Error("Cannot find package 'langchain'");
  });
  const { lessonloopMiddleware } = await import("./lessonloop-middleware.js");
  let thrown: unknown;
  try {
    lessonloopMiddleware({} as LearningLoop);
  } catch (error) {
    thrown = error;
  }
  expect(LessonloopError.isInstance(thrown, "invalid_input")).toBe(true);
  expect((thrown as Error).message).toMatch(/needs the `langchain` package.*npm i langchain.*withLearning/s);
});
