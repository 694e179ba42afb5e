import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";
import { LessonloopError, type LessonloopErrorCode, type LessonMemory } from "@lessonloop/core";
import { MEMORY_PIN_KEY, MEMORY_VERSION_METADATA_KEY, MemoryPinSchema, VersionSchema, printWarning, warningCause } from "@lessonloop/core/internal";

/** What kept a checkpoint from getting its memory version recorded, or from getting the pinned one. */
export type SnapshotCheckpointerWarningSource =
  /** The memory did not tell its live version (unreachable, failing, too slow): nothing was recorded. */
  | "memory"
  /** The state's pin did not parse: the live version was recorded instead. */
  | "pin";

/**
 * A degradation the checkpoint survived: the user's `put` went through, with a
 * less precise (or no) memory version recorded.
 */
export interface SnapshotCheckpointerWarning {
  source: SnapshotCheckpointerWarningSource;
  /** What the checkpointer did instead, e.g. "recorded no memory version". */
  effect: string;
  /** The error's code: `store_unavailable`, `timeout`, `invalid_input` … (`store_unavailable` for foreign errors). */
  code: LessonloopErrorCode;
  /** The error's message. */
  message: string;
  /** The checkpoint concerned. */
  threadId: string | undefined;
  checkpointNs: string;
  checkpointId: string;
  /** The error as thrown. */
  cause: unknown;
}

/** The default `onWarning`: one line on the console, with the cause. */
function logWarning(warning: SnapshotCheckpointerWarning): void {
  printWarning(
    {
      source: "snapshot-checkpointer degraded",
      detail: `${warning.source}: ${warning.code}`,
      effect: `${warning.effect} for checkpoint ${warning.checkpointId} of thread ${warning.threadId ?? "?"}`,
      message: warning.message,
    },
    warning.cause,
  );
}

export interface SnapshotCheckpointerParams<V extends string | number = number> {
  /**
   * The saver that actually stores checkpoints — the one the graph already uses
   * (`MemorySaver`, `SqliteSaver`, `PostgresSaver` …). Every call is delegated to
   * it and its serializer becomes this saver's. Its storage format does not
   * change — the memory version is one more metadata field — so it can still
   * read every thread without the wrapper.
   */
  saver: BaseCheckpointSaver<V>;
  /** The lesson memory whose live version is recorded for checkpoints whose state holds no pin. */
  memory: LessonMemory;
  /**
   * Called when a checkpoint is stored with a less precise or no memory version
   * (memory unreachable, a malformed pin). The `put` itself never fails for it.
   * Default: one `console.warn` line.
   */
  onWarning?: (warning: SnapshotCheckpointerWarning) => void;
  /**
   * Longest a `put` waits for `memory.headVersion()` before recording nothing,
   * in milliseconds. Checkpoints whose state holds a pin never ask the memory.
   * Default 1000.
   */
  timeoutMs?: number;
}

type WarningParts = Omit<SnapshotCheckpointerWarning, "threadId" | "checkpointNs" | "checkpointId">;

interface VersionReading {
  /** The version to record; `undefined` records none. */
  version: number | undefined;
  warnings: WarningParts[];
}

function warningParts(source: SnapshotCheckpointerWarningSource, effect: string, error: unknown): WarningParts {
  return { source, effect, ...warningCause(error) };
}

/** The metadata as the graph wrote it: the recorded memory version is this saver's bookkeeping, not the caller's. */
function withoutRecordedVersion(metadata: CheckpointMetadata | undefined): CheckpointMetadata | undefined {
  if (metadata === undefined || !Object.hasOwn(metadata, MEMORY_VERSION_METADATA_KEY)) return metadata;
  const { [MEMORY_VERSION_METADATA_KEY]: _recorded, ...rest } = metadata as CheckpointMetadata & Record<string, unknown>;
  return rest as CheckpointMetadata;
}

function withoutRecordedVersionInTuple(tuple: CheckpointTuple): CheckpointTuple {
  const metadata = withoutRecordedVersion(tuple.metadata);
  return metadata === tuple.metadata ? tuple : { ...tuple, metadata };
}

/**
 * A LangGraph checkpoint saver that wraps the one a graph already has and
 * records, in each checkpoint's metadata under `MEMORY_VERSION_METADATA_KEY`,
 * the lesson-memory version that was live for that step: the version pinned in
 * the state under `MEMORY_PIN_KEY` (the replay-retriever's pin) when there is
 * one, else the memory's live version at the time of the `put`.
 *
 * It is otherwise transparent: every method is the wrapped saver's, and reads
 * return metadata exactly as the graph wrote it (LangGraph's checkpointer
 * contract), without the recorded version. Read that with
 * {@link SnapshotCheckpointer.memoryVersionOf}, or find checkpoints by it with
 * `list(config, { filter: { [MEMORY_VERSION_METADATA_KEY]: version } })`.
 *
 * ```ts
 * const checkpointer = new SnapshotCheckpointer({ saver: SqliteSaver.fromConnString("graph.db"), memory });
 * const graph = builder.compile({ checkpointer });
 * ```
 */
export class SnapshotCheckpointer<V extends string | number = number> extends BaseCheckpointSaver<V> {
  readonly #saver: BaseCheckpointSaver<V>;
  readonly #memory: LessonMemory;
  readonly #onWarning: (warning: SnapshotCheckpointerWarning) => void;
  readonly #timeoutMs: number;

  constructor({ saver, memory, onWarning = logWarning, timeoutMs = 1_000 }: SnapshotCheckpointerParams<V>) {
    super(saver.serde);
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new LessonloopError("invalid_input", `timeoutMs must be a positive number of milliseconds, got ${timeoutMs}.`, { details: { timeoutMs } });
    }
    this.#saver = saver;
    this.#memory = memory;
    this.#onWarning = onWarning;
    this.#timeoutMs = timeoutMs;
  }

  /** The wrapped saver. */
  get saver(): BaseCheckpointSaver<V> {
    return this.#saver;
  }

  override async get(config: RunnableConfig): Promise<Checkpoint | undefined> {
    return this.#saver.get(config);
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const tuple = await this.#saver.getTuple(config);
    return tuple === undefined ? undefined : withoutRecordedVersionInTuple(tuple);
  }

  override async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    for await (const tuple of this.#saver.list(config, options)) yield withoutRecordedVersionInTuple(tuple);
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const { version, warnings } = await this.#versionFor(checkpoint);
    for (const warning of warnings) {
      this.#onWarning({
        ...warning,
        threadId: typeof config.configurable?.thread_id === "string" ? config.configurable.thread_id : undefined,
        checkpointNs: typeof config.configurable?.checkpoint_ns === "string" ? config.configurable.checkpoint_ns : "",
        checkpointId: checkpoint.id,
      });
    }
    const stored = withoutRecordedVersion(metadata) ?? metadata;
    if (version === undefined) return this.#saver.put(config, checkpoint, stored, newVersions);
    const recorded: CheckpointMetadata<{ [MEMORY_VERSION_METADATA_KEY]: number }> = { ...stored, [MEMORY_VERSION_METADATA_KEY]: version };
    return this.#saver.put(config, checkpoint, recorded, newVersions);
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    return this.#saver.putWrites(config, writes, taskId, taskPath);
  }

  override async deleteThread(threadId: string): Promise<void> {
    return this.#saver.deleteThread(threadId);
  }

  override async getDeltaChannelHistory(options: { config: RunnableConfig; channels: string[] }): Promise<Record<string, DeltaChannelHistory>> {
    return this.#saver.getDeltaChannelHistory(options);
  }

  override getNextVersion(current: V | undefined): V {
    return this.#saver.getNextVersion(current);
  }

  /**
   * The memory version recorded for a thread's latest checkpoint, or for the
   * checkpoint `config.configurable.checkpoint_id` names (`checkpoint_ns` as
   * usual). `undefined` when that checkpoint was stored without one (before
   * this saver wrapped the store, or while memory was unreachable).
   *
   * @throws LessonloopError `invalid_input` without a `thread_id`, `not_found`
   * when there is no such checkpoint, `corrupt_store` when the recorded value is
   * not a version.
   */
  async memoryVersionOf(config: RunnableConfig): Promise<number | undefined> {
    const threadId: unknown = config.configurable?.thread_id;
    if (typeof threadId !== "string" || threadId.length === 0) {
      throw new LessonloopError("invalid_input", "memoryVersionOf needs config.configurable.thread_id: pass the config you run the graph with.");
    }
    const tuple = await this.#saver.getTuple(config);
    if (tuple === undefined) {
      const checkpointId: unknown = config.configurable?.checkpoint_id;
      throw new LessonloopError(
        "not_found",
        `Thread ${threadId} has no checkpoint${typeof checkpointId === "string" ? ` ${checkpointId}` : ""}: run the graph on it first, or check the thread and checkpoint ids.`,
        { details: { threadId, checkpointId } },
      );
    }
    const recorded: unknown = (tuple.metadata as Record<string, unknown> | undefined)?.[MEMORY_VERSION_METADATA_KEY];
    if (recorded === undefined) return undefined;
    const parsed = VersionSchema.safeParse(recorded);
    if (!parsed.success) {
      throw new LessonloopError(
        "corrupt_store",
        `Checkpoint ${tuple.checkpoint.id} of thread ${threadId} holds ${JSON.stringify(recorded)} under metadata.${MEMORY_VERSION_METADATA_KEY}, which is not a memory version; something other than SnapshotCheckpointer wrote it.`,
        { cause: parsed.error, details: { threadId, checkpointId: tuple.checkpoint.id } },
      );
    }
    return parsed.data;
  }

  /** The pinned version when the state holds a pin, else the memory's live version; never throws. */
  async #versionFor(checkpoint: Checkpoint): Promise<VersionReading> {
    const pin: unknown = (checkpoint.channel_values as Record<string, unknown> | undefined)?.[MEMORY_PIN_KEY];
    if (pin === undefined || pin === null) return this.#headVersion();
    const parsed = MemoryPinSchema.safeParse(pin);
    if (parsed.success) return { version: parsed.data.version, warnings: [] };
    const pinWarning = warningParts(
      "pin",
      "recorded the live memory version instead of the pinned one",
      new LessonloopError("invalid_input", `state.${MEMORY_PIN_KEY} is not a memory pin ({ version, input }): ${parsed.error.message}`, { cause: parsed.error }),
    );
    const head = await this.#headVersion();
    return { version: head.version, warnings: [pinWarning, ...head.warnings] };
  }

  async #headVersion(): Promise<VersionReading> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new LessonloopError("timeout", `The lesson memory did not tell its live version within ${this.#timeoutMs} ms; raise \`timeoutMs\` if it is merely slow.`, { details: { timeoutMs: this.#timeoutMs } })),
        this.#timeoutMs,
      );
    });
    try {
      const version = await Promise.race([this.#memory.headVersion(), timeout]);
      return { version, warnings: [] };
    } catch (error) {
      return { version: undefined, warnings: [warningParts("memory", "recorded no memory version", error)] };
    } finally {
      clearTimeout(timer);
    }
  }
}
