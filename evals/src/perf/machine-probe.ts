import { percentile } from "@lessonloop/core/testing";
import { readFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import type { Latency, ProcessMemory, Repeated } from "./perf-results.js";

export function machineInfo() {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
  };
}

export const loadAverage = (): [number, number, number] => {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return [round(one), round(five), round(fifteen)];
};

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Resident and peak resident memory of a process in KiB, from /proc (`self` for this one); zeros where unreadable. */
export async function processMemoryKiB(pid: number | "self" | undefined): Promise<{ rss: number; peak: number }> {
  if (pid === undefined) return { rss: 0, peak: 0 };
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { rss: kib("VmRSS"), peak: kib("VmHWM") };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** Resident and peak resident memory of a process in MiB, from /proc (`self` for this one); zeros where unreadable. */
export async function processMemory(pid: number | "self" | undefined): Promise<ProcessMemory> {
  const { rss, peak } = await processMemoryKiB(pid);
  return { rssMiB: round(rss / 1024, 1), peakMiB: round(peak / 1024, 1) };
}

/** CPU time (ms) a process has used, from /proc; NaN where unreadable. */
export async function cpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
    // utime and stime (fields 14 and 15 of stat), in ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * Waits until the process uses under 10% of a core for `quietSeconds` in a
 * row (Chroma indexes a bulk load in the background), at most `maxSeconds`;
 * returns the seconds waited.
 */
export async function settle(pid: number | undefined, maxSeconds = 60, quietSeconds = 2): Promise<number> {
  if (pid === undefined) return 0;
  const started = performance.now();
  let quiet = 0;
  let last = await cpuMs(pid);
  while (quiet < quietSeconds && performance.now() - started < maxSeconds * 1_000) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await cpuMs(pid);
    quiet = now - last < 100 ? quiet + 1 : 0;
    last = now;
  }
  return (performance.now() - started) / 1_000;
}

export async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, performance.now() - started];
}

/** Median, lowest and highest of the repeats' values. */
export function repeated(values: readonly number[]): Repeated {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: round(percentile(sorted, 50)), min: round(sorted[0] ?? 0), max: round(sorted.at(-1) ?? 0) };
}

/** p50 and p99 of each repeat's samples, then the median of each over the repeats. */
export function latency(repeats: readonly (readonly number[])[]): Latency {
  const sorted = repeats.map((samples) => [...samples].sort((a, b) => a - b));
  return {
    p50: repeated(sorted.map((samples) => percentile(samples, 50))),
    p99: repeated(sorted.map((samples) => percentile(samples, 99))),
    samplesPerRepeat: Math.min(...sorted.map((samples) => samples.length)),
  };
}
