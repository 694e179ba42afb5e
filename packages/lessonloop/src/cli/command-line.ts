import { parseArgs } from "node:util";
import { MemoryNameSchema } from "@lessonloop/chroma";
import { ScopeSchema, type Scope } from "@lessonloop/core";
import { IdSchema, VersionSchema, redactUrlCredentials } from "@lessonloop/core/internal";
import { z } from "zod";

/**
 * The command line of `lessonloop`: which commands there are, their options,
 * their help, and how argv becomes one typed, checked command. Every value is
 * parsed with zod; anything wrong is a `UsageError` that names the argument.
 */

/** The command line is wrong: exit code 2, and the message says which argument and what to do. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at, when known. */
    readonly command?: CommandName,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export const COMMAND_NAMES = ["list", "show", "history", "diff", "rollback", "revert", "pending", "approve", "reject", "worker", "dead-letters"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const LIST_STATUSES = ["approved", "pending", "rejected", "retired", "all"] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

/** Options every command takes. */
export interface GlobalOptions {
  /** The server holding the memory; absent for the memory in `./.lessonloop`. */
  chromaUrl?: string;
  memory: string;
  json: boolean;
}

export type Command =
  | { name: "list"; scope?: Scope; status: ListStatus; version?: number }
  | { name: "show"; lessonId: string; version?: number; scope?: Scope }
  | { name: "history"; limit: number; before?: number; scope?: Scope }
  | { name: "diff"; from: number; to: number; scope?: Scope }
  /** `scope` absent only with `--all-scopes`: a global rollback must be asked for. */
  | { name: "rollback"; version: number; scope?: Scope; reason: string; author: string; expectHead?: number }
  | { name: "revert"; lessonId: string; scope?: Scope; reason: string; author: string; expectHead?: number }
  | { name: "pending"; scope?: Scope }
  | { name: "approve"; lessonId: string; scope?: Scope; reason?: string; author: string; edgeCases?: string }
  | { name: "reject"; lessonId: string; scope?: Scope; reason?: string; author: string }
  /** `queue`: a `postgres://` URL (the fleet's shared queue) or the path of a file journal. */
  | { name: "worker"; queue: string; concurrency: number; maxAttempts: number; leaseSeconds?: number; validators: number; model?: string }
  | { name: "dead-letters"; queue: string; limit: number; requeue: string[] };

/** The commands that work on a memory (the others work on the episode queue). */
export type MemoryCommand = Exclude<Command, { name: "worker" | "dead-letters" }>;

export type CommandLine = { kind: "help"; text: string } | { kind: "run"; global: GlobalOptions; command: Command };

type OptionSpec = { type: "string" | "boolean"; short?: string; value?: string; help: string };

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  "chroma-url": { type: "string", value: "<url>", help: "Chroma server holding the memory (default: $CHROMA_URL, else the memory in ./.lessonloop)" },
  memory: { type: "string", value: "<name>", help: 'Memory to work on (default: "lessonloop")' },
  json: { type: "boolean", help: "Machine-readable output on stdout; errors as JSON on stderr" },
  help: { type: "boolean", short: "h", help: "Show help" },
};

const SCOPE_OPTIONS: Record<string, OptionSpec> = {
  tenant: { type: "string", value: "<tenant>", help: "Only lessons of this tenant" },
  user: { type: "string", value: "<user>", help: "…and scoped to exactly this user (needs --tenant)" },
  agent: { type: "string", value: "<agent>", help: "…and scoped to exactly this agent (needs --tenant)" },
};

/** For commands that change memory or reviews: the scope they may act in, refusing anything outside it. */
const ACTING_SCOPE_OPTIONS: Record<string, OptionSpec> = {
  tenant: { type: "string", value: "<tenant>", help: "Act only within this tenant; refuse a lesson outside it" },
  user: { type: "string", value: "<user>", help: "…and only on lessons scoped to this user (needs --tenant)" },
  agent: { type: "string", value: "<agent>", help: "…and only on lessons scoped to this agent (needs --tenant)" },
};

const AUTHOR_OPTION: OptionSpec = { type: "string", value: "<name>", help: "Who does it, recorded in history (default: $USER)" };
/** What rollback and revert take besides the scope: why, who, and the head they expect. */
const UNDO_OPTIONS: Record<string, OptionSpec> = {
  reason: { type: "string", value: "<text>", help: "Why (required), recorded in history" },
  author: AUTHOR_OPTION,
  "expect-head": { type: "string", value: "<version>", help: "Refuse unless this is still the live version" },
};

interface CommandSpec {
  /** Positional arguments, in order, as `<name>`. */
  positionals: readonly string[];
  options: Record<string, OptionSpec>;
  summary: string;
  examples: readonly string[];
}

const QUEUE_OPTION: OptionSpec = { type: "string", value: "<queue>", help: "postgres://… (the fleet's shared queue) or a file journal's path (default: $LESSONLOOP_QUEUE)" };

const COMMANDS: Record<CommandName, CommandSpec> = {
  worker: {
    positionals: [],
    options: {
      queue: QUEUE_OPTION,
      concurrency: { type: "string", value: "<n>", help: "Episodes learned at once (default 1)" },
      "max-attempts": { type: "string", value: "<n>", help: "Attempts before an episode is dead-lettered (default 5)" },
      "lease-seconds": { type: "string", value: "<s>", help: "How long a taken episode is leased on PostgreSQL; a dead worker's comes back after it. The queue's setting, for every process (default: the queue's, else 900)" },
      validators: { type: "string", value: "<n>", help: "Peer validators, each its own model instance (default 3)" },
      model: { type: "string", value: "<name>", help: "Model of the learner and validators on $LESSONLOOP_OPENAI_BASE_URL with $LESSONLOOP_OPENAI_API_KEY (default: $LESSONLOOP_MODEL)" },
    },
    summary: "Run a learning worker: take episodes from the queue, learn them into the memory, until SIGINT/SIGTERM (unfinished ones go back).",
    examples: ["lessonloop worker --queue postgres://lessonloop@db:5432/app --chroma-url http://chroma:8000", "lessonloop worker --queue ./episodes.jsonl --concurrency 2"],
  },
  "dead-letters": {
    positionals: [],
    options: {
      queue: QUEUE_OPTION,
      limit: { type: "string", value: "<n>", help: "At most this many, oldest first (default 20)" },
      requeue: { type: "string", value: "<ids>", help: "Put these episodes (comma-separated ids) back in the queue instead of listing" },
    },
    summary: "List the episodes that failed for good, with why; or requeue them once the cause is fixed. Needs no Chroma server.",
    examples: ["lessonloop dead-letters --queue postgres://lessonloop@db:5432/app", "lessonloop dead-letters --queue ./episodes.jsonl --requeue 3f2a…,9b1c…"],
  },
  list: {
    positionals: [],
    options: {
      ...SCOPE_OPTIONS,
      status: { type: "string", value: "<status>", help: "approved (live, default) | pending | rejected | retired | all" },
      version: { type: "string", value: "<version>", help: "Memory as it was at this version (approved, retired)" },
    },
    summary: "List lessons: live ones by default, or pending, rejected, retired.",
    examples: ["lessonloop list", "lessonloop list --tenant acme --agent billing", "lessonloop list --status retired --version 4"],
  },
  show: {
    positionals: ["lesson-id"],
    options: { ...SCOPE_OPTIONS, version: { type: "string", value: "<version>", help: "The lesson as live at this version" } },
    summary: "Show one lesson with its evidence, provenance, merge and verdict (votes).",
    examples: ["lessonloop show refund-timeout-retry", "lessonloop show refund-timeout-retry --version 2 --json", "lessonloop show refund-timeout-retry --tenant acme"],
  },
  history: {
    positionals: [],
    options: {
      limit: { type: "string", value: "<n>", help: "At most this many snapshots, newest first (default 20)" },
      before: { type: "string", value: "<version>", help: "Only versions older than this one (paging)" },
      ...SCOPE_OPTIONS,
    },
    summary: "Snapshot history of the memory, newest first; with --tenant, only the versions that changed its lessons.",
    examples: ["lessonloop history --limit 5", "lessonloop history --tenant acme"],
  },
  diff: {
    positionals: ["from", "to"],
    options: { ...SCOPE_OPTIONS },
    summary: "Lessons live at <to> but not at <from> (+), and the reverse (−).",
    examples: ["lessonloop diff 2 5", "lessonloop diff 2 5 --tenant acme"],
  },
  rollback: {
    positionals: ["version"],
    options: {
      ...ACTING_SCOPE_OPTIONS,
      "all-scopes": { type: "boolean", help: "Roll back every tenant's lessons (instead of --tenant)" },
      ...UNDO_OPTIONS,
    },
    summary: "Make a scope's lessons (--tenant) or all lessons (--all-scopes) what they were at an earlier version, as a new version.",
    examples: ['lessonloop rollback 3 --tenant acme --reason "v4 broke refunds"', 'lessonloop rollback 3 --all-scopes --reason "bad batch import"'],
  },
  revert: {
    positionals: ["lesson-id"],
    options: { ...ACTING_SCOPE_OPTIONS, ...UNDO_OPTIONS },
    summary: "Take one live lesson out, as a new version; what it superseded is live again, later merges stay.",
    examples: ['lessonloop revert refund-timeout-retry --tenant acme --reason "hurts refunds"'],
  },
  pending: {
    positionals: [],
    options: { ...SCOPE_OPTIONS },
    summary: "Lessons waiting for a human's approval.",
    examples: ["lessonloop pending", "lessonloop pending --tenant acme --json"],
  },
  approve: {
    positionals: ["lesson-id"],
    options: {
      ...ACTING_SCOPE_OPTIONS,
      reason: { type: "string", value: "<text>", help: "Why, recorded in the merge snapshot" },
      author: AUTHOR_OPTION,
      "edge-cases": { type: "string", value: "<collection>", help: 'Edge-case collection for its cases (default: "<memory>-edge-cases")' },
    },
    summary: "Merge a pending lesson (and its edge cases) into memory as one new snapshot.",
    examples: ['lessonloop approve refund-timeout-retry --reason "checked with support"'],
  },
  reject: {
    positionals: ["lesson-id"],
    options: { ...ACTING_SCOPE_OPTIONS, reason: { type: "string", value: "<text>", help: "Why, kept with the lesson" }, author: AUTHOR_OPTION },
    summary: "Reject a pending lesson: memory is unchanged, the lesson is kept as rejected.",
    examples: ['lessonloop reject refund-timeout-retry --reason "too broad"'],
  },
};

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? "" : `-${spec.short}, `}--${name}${spec.value === undefined ? "" : ` ${spec.value}`}`;
    return [flag, spec.help] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`);
}

/** Help for one command, or for the whole tool. */
export function helpText(command?: CommandName): string {
  if (command === undefined) {
    const width = Math.max(...COMMAND_NAMES.map((name) => name.length));
    return [
      "lessonloop — inspect and operate a lessonloop memory",
      "",
      "Usage: lessonloop <command> [arguments] [options]",
      "",
      "Commands:",
      ...COMMAND_NAMES.map((name) => `  ${name.padEnd(width)}  ${COMMANDS[name].summary}`),
      "",
      "Options of every command:",
      ...optionLines(GLOBAL_OPTIONS),
      "",
      'Run "lessonloop <command> --help" for a command\'s own options.',
      "Exit codes: 0 done, 1 the operation failed (store, unknown id or version), 2 bad command line.",
    ].join("\n");
  }
  const spec = COMMANDS[command];
  const positionals = spec.positionals.map((name) => ` <${name}>`).join("");
  const own = Object.keys(spec.options).length === 0 ? [] : ["", "Options:", ...optionLines(spec.options)];
  return [
    `lessonloop ${command} — ${spec.summary}`,
    "",
    `Usage: lessonloop ${command}${positionals} [options]`,
    ...own,
    "",
    "Options of every command:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    "Examples:",
    ...spec.examples.map((example) => `  ${example}`),
  ].join("\n");
}

// ── Value schemas: messages say what a good value looks like ─────────────────

const versionArg = z
  .string()
  .regex(/^\d+$/, "must be a version number (a whole number, 0 or more), e.g. 3")
  // Past 2^53 a number is no longer exact: 12345678901234567890 would read as another version.
  .refine((text) => !/^\d+$/.test(text) || Number.isSafeInteger(Number(text)), `is too large: a version number is at most ${Number.MAX_SAFE_INTEGER}`)
  .transform(Number)
  .pipe(VersionSchema);

const countArg = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be a whole number from 1 to ${max}`).max(max, `must be a whole number from 1 to ${max}`));

const text = (what: string) => z.string().trim().min(1, `must not be empty: ${what}`).max(4_000, "must be at most 4000 characters");
const authorArg = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");

const scopeFields = {
  tenant: ScopeSchema.shape.tenant.optional(),
  user: ScopeSchema.shape.tenant.optional(),
  agent: ScopeSchema.shape.tenant.optional(),
};

function scopeOf(values: { tenant?: string | undefined; user?: string | undefined; agent?: string | undefined }): Scope | undefined {
  if (values.tenant === undefined) return undefined;
  return {
    tenant: values.tenant,
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(values.agent === undefined ? {} : { agent: values.agent }),
  };
}

function scopeNeedsTenant(values: { tenant?: string | undefined; user?: string | undefined; agent?: string | undefined }, context: z.RefinementCtx): void {
  for (const key of ["user", "agent"] as const) {
    if (values[key] !== undefined && values.tenant === undefined) {
      context.addIssue({ code: "custom", path: [key], message: "needs --tenant too: lessons are scoped within a tenant, e.g. --tenant acme" });
    }
  }
}

const lessonIdArg = IdSchema;

const queueArg = z.string({ error: "is needed: --queue postgres://… or a file journal's path, or set LESSONLOOP_QUEUE" }).trim().min(1, "must not be empty");

/** One schema per command, over `{ ...options, ...positionals }` keyed by camelCase names. */
const SCHEMAS = {
  list: z
    .object({
      ...scopeFields,
      status: z.enum(LIST_STATUSES, { error: `must be one of ${LIST_STATUSES.join(", ")}` }).default("approved"),
      version: versionArg.optional(),
    })
    .superRefine((values, context) => {
      scopeNeedsTenant(values, context);
      if (values.version !== undefined && (values.status === "pending" || values.status === "rejected")) {
        context.addIssue({
          code: "custom",
          path: ["version"],
          message: `does not apply to ${values.status} lessons: they are not in memory yet. Drop --version, or use --status approved|retired|all`,
        });
      }
    })
    .transform(({ tenant, user, agent, status, version }): Command => {
      const scope = scopeOf({ tenant, user, agent });
      return { name: "list", status, scope, version };
    }),
  show: z
    .object({ lessonId: lessonIdArg, version: versionArg.optional(), ...scopeFields })
    .superRefine(scopeNeedsTenant)
    .transform(({ lessonId, version, ...values }): Command => {
      const scope = scopeOf(values);
      return { name: "show", lessonId, version, scope };
    }),
  history: z
    .object({ limit: countArg(10_000).default(20), before: versionArg.optional(), ...scopeFields })
    .superRefine(scopeNeedsTenant)
    .transform(({ limit, before, ...values }): Command => {
      const scope = scopeOf(values);
      return { name: "history", limit, before, scope };
    }),
  diff: z
    .object({ from: versionArg, to: versionArg, ...scopeFields })
    .superRefine(scopeNeedsTenant)
    .transform(({ from, to, ...values }): Command => {
      const scope = scopeOf(values);
      return { name: "diff", from, to, scope };
    }),
  rollback: z
    .object({
      version: versionArg,
      ...scopeFields,
      allScopes: z.boolean().optional(),
      reason: text('say why, e.g. --reason "v5 broke refunds"'),
      author: authorArg,
      expectHead: versionArg.optional(),
    })
    .superRefine((values, context) => {
      scopeNeedsTenant(values, context);
      if (values.tenant === undefined && values.allScopes !== true) {
        context.addIssue({
          code: "custom",
          path: ["tenant"],
          message: "say which lessons to roll back: --tenant <tenant> for one tenant's, or --all-scopes for every tenant's (a global rollback)",
        });
      }
      if (values.tenant !== undefined && values.allScopes === true) {
        context.addIssue({ code: "custom", path: ["allScopes"], message: "cannot go with --tenant: roll back one tenant or all of them" });
      }
    })
    .transform(({ version, reason, author, expectHead, allScopes: _allScopes, ...values }): Command => {
      const scope = scopeOf(values);
      return { name: "rollback", version, scope, reason, author, expectHead };
    }),
  revert: z
    .object({
      lessonId: lessonIdArg,
      ...scopeFields,
      reason: text('say why, e.g. --reason "hurts refunds"'),
      author: authorArg,
      expectHead: versionArg.optional(),
    })
    .superRefine(scopeNeedsTenant)
    .transform(({ lessonId, reason, author, expectHead, ...values }): Command => {
      const scope = scopeOf(values);
      return { name: "revert", lessonId, scope, reason, author, expectHead };
    }),
  pending: z
    .object(scopeFields)
    .superRefine(scopeNeedsTenant)
    .transform((values): Command => {
      const scope = scopeOf(values);
      return { name: "pending", scope };
    }),
  approve: z
    .object({ lessonId: lessonIdArg, ...scopeFields, reason: text("say why").optional(), author: authorArg, edgeCases: MemoryNameSchema.optional() })
    .superRefine(scopeNeedsTenant)
    .transform(({ lessonId, reason, author, edgeCases, ...values }): Command => {
      const scope = scopeOf(values);
      return { name: "approve", lessonId, scope, author, reason, edgeCases };
    }),
  reject: z
    .object({ lessonId: lessonIdArg, ...scopeFields, reason: text("say why").optional(), author: authorArg })
    .superRefine(scopeNeedsTenant)
    .transform(({ lessonId, reason, author, ...values }): Command => {
      const scope = scopeOf(values);
      return { name: "reject", lessonId, scope, author, reason };
    }),
  worker: z
    .object({
      queue: queueArg,
      concurrency: countArg(64).default(1),
      maxAttempts: countArg(100).default(5),
      leaseSeconds: countArg(86_400).optional(),
      validators: countArg(16).default(3),
      model: z.string().trim().min(1, "must not be empty").max(200).optional(),
    })
    .transform((values): Command => ({ name: "worker", ...values })),
  "dead-letters": z
    .object({
      queue: queueArg,
      limit: countArg(10_000).default(20),
      requeue: z
        .string()
        .transform((list) => list.split(",").map((id) => id.trim()).filter((id) => id !== ""))
        .pipe(z.array(IdSchema).min(1, "must name at least one episode id"))
        .optional(),
    })
    .transform(({ requeue = [], ...values }): Command => ({ name: "dead-letters", ...values, requeue })),
} satisfies Record<CommandName, z.ZodType<Command>>;

const GlobalSchema = z.object({
  chromaUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. http://127.0.0.1:8000" }).optional(),
  memory: MemoryNameSchema.default("lessonloop"),
});

const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** How the argument behind a schema key is written on the command line. */
function argumentName(key: string, spec: CommandSpec | undefined): string {
  const flag = kebab(key);
  if (spec?.positionals.includes(flag) === true) return `<${flag}>`;
  return `--${flag}`;
}

/** A value as an error message repeats it: without URL credentials, and short. */
function shownValue(value: string): string {
  const redacted = redactUrlCredentials(value);
  return redacted.length <= 80 ? redacted : `${redacted.slice(0, 60)}… (${redacted.length} characters)`;
}

function describeZodError(error: z.ZodError, raw: Record<string, unknown>, spec: CommandSpec | undefined, fromEnv: Record<string, string>): string {
  return error.issues
    .map((issue) => {
      const key = String(issue.path[0] ?? "");
      const name = fromEnv[key] ?? argumentName(key, spec);
      const value = raw[key];
      if (value === undefined && issue.code === "invalid_type") {
        const option = spec?.options[kebab(key)];
        return `Missing ${name}${option?.value === undefined ? "" : ` (${name} ${option.value})`}`;
      }
      const shown = typeof value === "string" ? ` "${shownValue(value)}"` : "";
      return `Invalid ${name}${shown}: ${issue.message}`;
    })
    .join("; ");
}

function parseOrThrow<S extends z.ZodType>(
  schema: S,
  raw: Record<string, unknown>,
  command: CommandName | undefined,
  fromEnv: Record<string, string> = {},
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const spec = command === undefined ? undefined : COMMANDS[command];
  throw new UsageError(`${describeZodError(result.error, raw, spec, fromEnv)}.`, command);
}

function isCommandName(value: string): value is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(value);
}

/**
 * `args` as parseArgs can read them: a negative number (`-1`) is a value, not
 * an option — glued to the option before it (`--version=-1`), or a positional
 * (after `--`) — so the schema can say "0 or more" rather than "unknown option -1".
 */
function negativeNumbersAsValues(args: readonly string[], options: Record<string, OptionSpec>): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  let separated = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === "--") {
      separated = true;
      positionals.push(...args.slice(index + 1));
      break;
    }
    const negative = /^-\d/.test(arg);
    if (arg.startsWith("-") && !negative) {
      const next = args[index + 1];
      const takesValue = !arg.includes("=") && options[arg.replace(/^-+/, "")]?.type === "string" && next !== undefined;
      if (takesValue && /^-\d/.test(next)) flags.push(`${arg}=${next}`);
      else if (takesValue && !next.startsWith("-")) flags.push(arg, next);
      else flags.push(arg);
      if (takesValue && (/^-\d/.test(next) || !next.startsWith("-"))) index++;
      continue;
    }
    separated ||= negative;
    positionals.push(arg);
  }
  return separated ? [...flags, "--", ...positionals] : [...flags, ...positionals];
}

/** An option given twice is an error: which one was meant is a guess (parseArgs would keep the last). */
function refuseRepeatedOptions(tokens: readonly { kind: string; name?: string; rawName?: string }[], command: CommandName): void {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    if (seen.has(token.name)) throw new UsageError(`Option --${token.name} is given more than once; give it once.`, command);
    seen.add(token.name);
  }
}

function parseArgsError(error: unknown, command: CommandName, options: Record<string, OptionSpec>): UsageError {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? "an option";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const known = Object.keys(options).map((name) => `--${name}`).join(", ");
    return new UsageError(`Unknown option ${flag} for "${command}". It takes: ${known}.`, command);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const spec = options[flag.replace(/^-+/, "")];
    if (spec?.type === "boolean") return new UsageError(`Option ${flag} takes no value.`, command);
    return new UsageError(
      `Option ${flag} needs a value, e.g. ${flag} ${spec?.value ?? "<value>"} (a value starting with "-" is written ${flag}=<value>).`,
      command,
    );
  }
  return new UsageError(message, command);
}

/**
 * Turns argv (without `node` and the script) into a help request or one
 * checked command. `env` supplies `CHROMA_URL` and `USER` defaults.
 *
 * @throws UsageError naming the argument that is wrong and what to do.
 */
export function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CommandLine {
  // `pnpm cli -- list` may hand the separator through.
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError(`No command given. Commands: ${COMMAND_NAMES.join(", ")}.`);
  if (first === "help" || first === "--help" || first === "-h") {
    const topic = rest[0];
    return { kind: "help", text: helpText(topic !== undefined && isCommandName(topic) ? topic : undefined) };
  }
  if (!isCommandName(first)) {
    const what = first.startsWith("-") ? `Options come after the command; "${first}" came first` : `Unknown command "${first}"`;
    throw new UsageError(`${what}. Commands: ${COMMAND_NAMES.join(", ")}.`);
  }
  const command = first;
  const spec = COMMANDS[command];
  const options = { ...spec.options, ...GLOBAL_OPTIONS };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[]; tokens: { kind: string; name?: string }[] };
  try {
    parsed = parseArgs({
      args: negativeNumbersAsValues(rest, options),
      tokens: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, option]) => [name, option.short === undefined ? { type: option.type } : { type: option.type, short: option.short }]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw parseArgsError(error, command, options);
  }
  refuseRepeatedOptions(parsed.tokens, command);
  const { values } = parsed;
  if (values["help"] === true) return { kind: "help", text: helpText(command) };

  const { positionals } = parsed;
  if (positionals.length !== spec.positionals.length) {
    const wanted = spec.positionals.map((name) => `<${name}>`).join(" ");
    const usage = `lessonloop ${command}${wanted === "" ? "" : ` ${wanted}`}`;
    if (positionals.length > spec.positionals.length) {
      const extra = positionals.slice(spec.positionals.length).map((value) => `"${value}"`).join(", ");
      throw new UsageError(`Unexpected argument ${extra} for "${command}". Usage: ${usage}.`, command);
    }
    const missing = spec.positionals.slice(positionals.length).map((name) => `<${name}>`).join(" ");
    throw new UsageError(`Missing ${missing} for "${command}". Usage: ${usage}, e.g. ${spec.examples[0] ?? usage}.`, command);
  }

  const chromaUrlFlag = values["chroma-url"];
  let chromaUrl = typeof chromaUrlFlag === "string" ? chromaUrlFlag : env["CHROMA_URL"] === "" ? undefined : env["CHROMA_URL"];
  // The dead letters live in the queue alone: no memory is opened.
  if (chromaUrl === undefined && command === "dead-letters") chromaUrl = "http://127.0.0.1:8000";
  const global = parseOrThrow(
    GlobalSchema,
    { chromaUrl, memory: values["memory"] },
    command,
    typeof chromaUrlFlag === "string" ? {} : { chromaUrl: "CHROMA_URL" },
  );

  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(spec.options)) raw[camel(name)] = values[name];
  spec.positionals.forEach((name, index) => {
    raw[camel(name)] = positionals[index];
  });
  if ("author" in spec.options && raw["author"] === undefined) raw["author"] = env["USER"] || "lessonloop-cli";
  if ("queue" in spec.options && raw["queue"] === undefined && env["LESSONLOOP_QUEUE"] !== "") raw["queue"] = env["LESSONLOOP_QUEUE"];
  if ("model" in spec.options && raw["model"] === undefined && env["LESSONLOOP_MODEL"] !== "") raw["model"] = env["LESSONLOOP_MODEL"];
  const parsedCommand = parseOrThrow(SCHEMAS[command], raw, command);
  return { kind: "run", global: { ...global, json: values["json"] === true }, command: parsedCommand };
}
