import type { TrajectoryStep } from "../episode.js";
import { clip } from "../text/clip.js";
import { stripInvisible } from "../text/invisible.js";

/** Options of {@link renderTrajectory}. */
export interface RenderTrajectoryOptions {
  /** Longest text kept of one step (message, arguments, tool output). Default 1,000 characters. */
  maxStepChars?: number;
  /** Longest rendering; past it the middle steps are left out. Default 12,000 characters. */
  maxChars?: number;
}

/** The tag that wraps every tool output in a rendered trajectory. */
export const UNTRUSTED_TAG = "tool_output";

/**
 * Wraps text that came from a tool (or a web page, a file …) so a model can
 * tell it from instructions: `<tool_output untrusted="true">…</tool_output>`.
 * Tags of the same name inside the text are defused, so the text cannot close
 * the wrapper and pose as the prompt; invisible characters are removed, so it
 * cannot carry what a person reading the prompt would not see.
 *
 * @param tag The element name; default {@link UNTRUSTED_TAG}. Letters, digits and `_` only.
 */
export function markUntrusted(text: string, tag: string = UNTRUSTED_TAG): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(tag)) throw new RangeError(`markUntrusted tag must be letters, digits and _, got "${tag}".`);
  const defused = stripInvisible(text).replace(new RegExp(`<(/?)(${tag})`, "gi"), "&lt;$1$2");
  return `<${tag} untrusted="true">${defused}</${tag}>`;
}

function renderStep(step: TrajectoryStep, index: number, maxStepChars: number): string {
  switch (step.type) {
    case "message": {
      const content = clip(stripInvisible(step.content), maxStepChars);
      // A message with role "tool" is a tool's output too.
      return step.role === "tool" ? `[${index}] tool message: ${markUntrusted(content)}` : `[${index}] ${step.role}: ${content}`;
    }
    case "tool_call":
      return `[${index}] tool call ${step.name} (id ${step.id}) with ${clip(stripInvisible(JSON.stringify(step.args)), maxStepChars)}`;
    case "tool_result":
      return `[${index}] tool result of ${step.name} (id ${step.callId})${step.isError ? " — ERROR" : ""}: ${markUntrusted(clip(step.content, maxStepChars))}`;
  }
}

/**
 * A compact, numbered rendering of a trajectory for a model's prompt: one line
 * a step (`[3] tool result of get_order (id c1) — ERROR: …`), step indices as in
 * `episode.trajectory`, every tool output marked untrusted with
 * {@link markUntrusted}. Long texts are clipped; when the whole is too long, the
 * first and last steps are kept and the middle ones left out (and said so).
 */
export function renderTrajectory(trajectory: readonly TrajectoryStep[], options: RenderTrajectoryOptions = {}): string {
  const { maxStepChars = 1_000, maxChars = 12_000 } = options;
  if (trajectory.length === 0) return "(no steps)";
  // A step never needs clipping again below, which could cut off its closing tag.
  const stepChars = Math.max(1, Math.min(maxStepChars, Math.floor(maxChars / 2) - 200));
  const lines = trajectory.map((step, index) => renderStep(step, index, stepChars));
  const total = lines.reduce((sum, line) => sum + line.length + 1, 0);
  if (total <= maxChars) return lines.join("\n");

  // Keep the start (the task, the first decisions) and the end (how it finished).
  const half = Math.floor(maxChars / 2);
  const head: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > half && head.length > 0) break;
    head.push(line);
    used += line.length + 1;
  }
  const tail: string[] = [];
  used = 0;
  for (let index = lines.length - 1; index >= head.length; index--) {
    const line = lines[index] as string;
    if (used + line.length + 1 > half && tail.length > 0) break;
    tail.unshift(line);
    used += line.length + 1;
  }
  const omitted = lines.length - head.length - tail.length;
  return [...head, ...(omitted > 0 ? [`… ${omitted} step${omitted === 1 ? "" : "s"} left out …`] : []), ...tail].join("\n");
}
