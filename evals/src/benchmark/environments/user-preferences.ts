import { keyedDraw, keyedRandom } from "../keyed-draw.js";
import { renderDirective, type PreferenceDirective } from "../sim/lesson-language.js";
import { DATE_FORMATS, addDays, formatDate, type DateFormat } from "./date-format.js";
import { createTruthBook, type DriftPoint, type Environment, type TruthBook } from "./environment.js";
import {
  DEFAULT_PREFERENCES,
  PREFERENCE_TOOLS,
  kmToMiles,
  readPreferenceRequest,
  writePreferenceRequest,
  type PreferenceRequest,
  type Preferences,
} from "./preference-docs.js";
import {
  checkIndex,
  checkStreamParams,
  driftsAt,
  eur,
  fail,
  gradeDirectives,
  statesRuleIn,
  ok,
  round,
  unreadableRequest,
  validateArgs,
  type EndpointShape,
} from "./world-kit.js";
import { preferencePlanner } from "./preference-planner.js";
import type { Session, Task, TaskSignals, ToolResult } from "./world.js";

const NAME = "user-preferences";
const TENANT = "initech";

export const USERS = ["ana", "ben", "chen", "dana"] as const;
type User = (typeof USERS)[number];

const INITIAL: Record<User, Partial<Preferences>> = {
  ana: { dateFormat: "DD.MM.YYYY", greeting: "Dear" },
  ben: { units: "miles", confirmAbove: 500 },
  chen: { dateFormat: "MM/DD/YYYY", greeting: "Hi" },
  dana: {},
};

interface PreferenceDrift extends DriftPoint {
  user: User;
  becomes: Partial<Preferences>;
}

/** The drift schedule of user-preferences, for a stream of 120 tasks. */
export const PREFERENCE_DRIFTS: readonly PreferenceDrift[] = [
  { at: 30, change: "dana starts wanting dates as DD.MM.YYYY", kinds: ["delivery-date", "reply"], users: ["dana"], user: "dana", becomes: { dateFormat: "DD.MM.YYYY" } },
  { at: 60, change: "ben wants to be asked before purchases above 200 EUR (was 500)", kinds: ["purchase"], users: ["ben"], user: "ben", becomes: { confirmAbove: 200 } },
  { at: 85, change: "ana switches from DD.MM.YYYY to dates like 24 November 2026", kinds: ["delivery-date", "reply"], users: ["ana"], user: "ana", becomes: { dateFormat: "D MMMM YYYY" } },
  { at: 105, change: "chen starts wanting distances in miles", kinds: ["distance"], users: ["chen"], user: "chen", becomes: { units: "miles" } },
];

/** The preferences each task kind touches: the date in a booking or a reply, the greeting of a reply, units, the ask-first limit. */
const PREFERENCE_SLOTS: Readonly<Record<string, ReadonlySet<string>>> = {
  "delivery-date": new Set(["preference:date_format"]),
  reply: new Set(["preference:greeting", "preference:date_format"]),
  distance: new Set(["preference:units"]),
  purchase: new Set(["preference:confirm_above"]),
};

function isUser(user: string | undefined): user is User {
  return (USERS as readonly (string | undefined)[]).includes(user);
}

/** A user's preferences at `at` (the documented style for anyone else). */
export function preferencesAt(user: string | undefined, at: number): Preferences {
  if (!isUser(user)) return { ...DEFAULT_PREFERENCES };
  return driftsAt(PREFERENCE_DRIFTS, at)
    .filter((drift) => drift.user === user)
    .reduce<Preferences>((preferences, drift) => ({ ...preferences, ...drift.becomes }), { ...DEFAULT_PREFERENCES, ...INITIAL[user] });
}

/** Preferences as directives: every aspect (`onlyChanged`: only those that differ from the documented style). */
function preferenceDirectives(preferences: Preferences, onlyChanged: boolean): PreferenceDirective[] {
  const all: PreferenceDirective[] = [
    { kind: "preference", aspect: "date_format", value: preferences.dateFormat },
    { kind: "preference", aspect: "units", value: preferences.units },
    { kind: "preference", aspect: "greeting", value: preferences.greeting },
  ];
  if (preferences.confirmAbove !== undefined) all.push({ kind: "preference", aspect: "confirm_above", value: preferences.confirmAbove });
  if (!onlyChanged) return all;
  const documented = new Set(preferenceDirectives(DEFAULT_PREFERENCES, false).map(renderDirective));
  return all.filter((directive) => !documented.has(renderDirective(directive)));
}

const CITIES: Readonly<Record<string, number>> = { Lyon: 412, Antwerp: 188, Munich: 655, Turin: 538, Leeds: 903, Porto: 1720, Gdansk: 1204, Basel: 301 };

/** The delayed order's new date, derived from its id so every session agrees. */
function newDeliveryDate(orderId: string): string {
  return addDays("2026-11-20", keyedRandom(NAME, "delay", orderId).int(3, 40));
}

const SHAPES: Record<string, EndpointShape> = {
  book_delivery: { params: { order_id: "string", date: "string" }, required: ["order_id", "date"] },
  get_distance: { params: { city: "string" }, required: ["city"] },
  place_purchase: { params: { item: "string", quantity: "number", unit_price: "number" }, required: ["item", "quantity", "unit_price"] },
  get_order_status: { params: { order_id: "string" }, required: ["order_id"] },
};

/** The complaint about a date: precise (quotes an example) or vague. */
function dateComplaint(iso: string, format: DateFormat, vague: boolean): string {
  return vague ? "The date is written the wrong way again." : `Please write dates like ${formatDate(iso, format)}, as I asked before.`;
}

const GREETING_COMPLAINT: Record<Preferences["greeting"], string> = {
  Dear: 'Please keep replies formal and start with "Dear".',
  Hi: 'No need to be so stiff with me, just start with "Hi".',
  Hello: 'Please just start with "Hello".',
};

class PreferenceSession implements Session {
  private readonly bookings: { orderId: string; date: string }[] = [];
  private readonly purchases: { item: string; quantity: number; unitPrice: number }[] = [];
  private finished = false;

  constructor(
    private readonly task: Task,
    private readonly request: PreferenceRequest,
    private readonly preferences: Preferences,
    private readonly vagueFeedbackRate: number,
    private readonly truths: TruthBook,
  ) {}

  callTool(name: string, args: Record<string, unknown>): ToolResult {
    if (this.finished) return fail("409 Conflict: the task is already finished");
    const shape = SHAPES[name];
    if (shape === undefined) return fail(`404 Not Found: no endpoint "${name}"`);
    const invalid = validateArgs(args, shape);
    if (invalid !== undefined) return invalid;
    switch (name) {
      case "book_delivery": {
        const date = args["date"] as string;
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return fail('422 Unprocessable Entity: "date" must be a date as YYYY-MM-DD');
        this.bookings.push({ orderId: args["order_id"] as string, date });
        return ok({ booking: `BK-${this.bookings.length + 40}`, order_id: args["order_id"], date });
      }
      case "get_distance": {
        const km = CITIES[args["city"] as string];
        return km === undefined ? fail(`404 Not Found: unknown city "${String(args["city"])}"`) : ok({ city: args["city"], km });
      }
      case "place_purchase":
        this.purchases.push({ item: args["item"] as string, quantity: args["quantity"] as number, unitPrice: args["unit_price"] as number });
        return ok({ purchase: `PO-${this.purchases.length + 70}`, status: "placed" });
      case "get_order_status": {
        const orderId = args["order_id"] as string;
        return ok({ order_id: orderId, status: "delayed", new_date: newDeliveryDate(orderId) });
      }
      default:
        return fail(`404 Not Found: no endpoint "${name}"`);
    }
  }

  finish(answer: string): TaskSignals {
    this.finished = true;
    const complaints = this.complaints(answer.trim());
    const passed = complaints.length === 0;
    const text = passed ? "Thanks, that's right." : complaints.join(" ");
    this.truths.record(this, { passed, reason: passed ? "done right" : text });
    return { feedback: { rating: passed ? "positive" : "negative", text } };
  }

  /** What the user objects to, in their words; empty when the answer and the state are right. */
  private complaints(answer: string): string[] {
    const request = this.request;
    const preferences = this.preferences;
    const vague = keyedDraw(NAME, "vague-feedback", this.task.id) < this.vagueFeedbackRate;
    const said: string[] = [];
    switch (request.kind) {
      case "delivery-date": {
        const booking = this.bookings.find((candidate) => candidate.orderId === request.orderId);
        if (booking === undefined || booking.date !== request.date) {
          said.push(`You booked the wrong day, I asked for ${formatDate(request.date, preferences.dateFormat)}.`);
        } else if (!answer.includes(formatDate(request.date, preferences.dateFormat))) {
          said.push(dateComplaint(request.date, preferences.dateFormat, vague));
        }
        break;
      }
      case "distance": {
        const km = CITIES[request.city] ?? 0;
        const expected = preferences.units === "km" ? `${km} km` : `${kmToMiles(km)} miles`;
        if (!answer.includes(expected)) {
          const wrongUnit = preferences.units === "km" ? /\d+ miles/.test(answer) : /\d+ km/.test(answer);
          said.push(
            wrongUnit
              ? `Please give me distances in ${preferences.units === "km" ? "kilometres, not miles" : "miles, not kilometres"}.`
              : "That distance is wrong.",
          );
        }
        break;
      }
      case "purchase": {
        const total = round(request.quantity * request.unitPrice);
        const mustAsk = preferences.confirmAbove !== undefined && total > preferences.confirmAbove;
        const placed = this.purchases;
        if (mustAsk) {
          if (placed.length > 0) said.push(`Please ask me before placing any order above ${preferences.confirmAbove} EUR, I had to cancel this one.`);
          else if (!answer.includes("Shall I place it?")) said.push("You neither placed the order nor asked me about it.");
        } else if (placed.length === 0) {
          said.push(answer.includes("Shall I place it?") ? "Why ask? Just place orders like this one." : "You did not place the order.");
        } else if (placed.length > 1 || placed[0]?.quantity !== request.quantity || Math.abs((placed[0]?.unitPrice ?? 0) - request.unitPrice) > 0.004) {
          said.push(`The order is wrong: I asked for ${request.quantity} x ${request.item} at ${eur(request.unitPrice)} EUR each.`);
        }
        break;
      }
      case "reply": {
        if (!answer.startsWith(`${preferences.greeting} `)) said.push(GREETING_COMPLAINT[preferences.greeting]);
        const date = newDeliveryDate(request.orderId);
        if (!answer.includes(formatDate(date, preferences.dateFormat))) {
          const anyFormat = DATE_FORMATS.some((format) => answer.includes(formatDate(date, format)));
          said.push(anyFormat ? dateComplaint(date, preferences.dateFormat, vague) : "The new delivery date in the reply is wrong.");
        }
        break;
      }
    }
    return said;
  }
}

/** Parameters of {@link createUserPreferencesEnvironment}. */
export interface UserPreferencesParams {
  /** Share of tasks on which a date complaint is vague ("written the wrong way") instead of quoting an example. Default 0.3. */
  vagueFeedbackRate?: number;
}

/**
 * user-preferences: four users of one tenant with hidden preferences (date
 * format, distance units, greeting, a limit above which they want to be asked
 * first). Answers that violate one draw a complaint in the user's words; some
 * preferences change mid-stream. A lesson for one user applied to another
 * makes the other's tasks fail.
 */
export function createUserPreferencesEnvironment({ vagueFeedbackRate = 0.3 }: UserPreferencesParams = {}): Environment {
  const truths = createTruthBook(NAME);
  return {
    name: NAME,
    description:
      "Four users with hidden preferences (date format, units, greeting, ask-first limit) that complain when one is violated; four preferences change mid-stream. Lessons must stay with their user.",
    tools: PREFERENCE_TOOLS,
    simPlanner: preferencePlanner,
    drifts: PREFERENCE_DRIFTS.map(({ at, change, kinds, users }) => ({ at, change, kinds, users })),
    defaultTaskCount: 120,

    tasks({ seed, count }) {
      checkStreamParams(NAME, seed, count);
      const random = keyedRandom(NAME, "stream", seed);
      return Array.from({ length: count }, (_unused, index) => {
        const kind = random.pick(["delivery-date", "delivery-date", "distance", "purchase", "purchase", "reply", "reply"] as const);
        let request: PreferenceRequest;
        switch (kind) {
          case "delivery-date":
            request = { kind, orderId: `O-${random.int(1000, 9999)}`, date: addDays("2026-11-02", Math.floor(index / 2) + random.int(2, 20)) };
            break;
          case "distance":
            request = { kind, city: random.pick(Object.keys(CITIES)) };
            break;
          case "purchase":
            request = { kind, quantity: random.int(2, 6), item: random.pick(["office chair", "desk lamp", "monitor arm", "paper box", "headset"]), unitPrice: random.int(2000, 15000) / 100 };
            break;
          case "reply":
            request = { kind, company: random.pick(["Northwind", "Contoso", "Fabrikam", "Litware"]), orderId: `O-${random.int(1000, 9999)}` };
            break;
        }
        return { id: `${NAME}#${index}`, index, kind, request: writePreferenceRequest(request), scope: { tenant: TENANT, user: random.pick(USERS) } };
      });
    },

    open(task, at) {
      checkIndex(NAME, at);
      const request = readPreferenceRequest(task.request);
      if (request === undefined) throw unreadableRequest(NAME, task.id, task.request);
      return new PreferenceSession(task, request, preferencesAt(task.scope.user, at), vagueFeedbackRate, truths);
    },

    truthOf(session) {
      return truths.truthOf(session);
    },

    oracleLessons(task, at) {
      checkIndex(NAME, at);
      return preferenceDirectives(preferencesAt(task.scope.user, at), true).map(renderDirective);
    },

    gradeLesson({ text, scope }, at) {
      checkIndex(NAME, at);
      // A preference is true only for its own user: a tenant-wide one is wrong for everyone else.
      const truths = scope.tenant === TENANT && isUser(scope.user) ? preferenceDirectives(preferencesAt(scope.user, at), false) : [];
      return gradeDirectives(text, truths, (directive) => [directive]);
    },

    lessonApplies({ text }, task) {
      return statesRuleIn(text, PREFERENCE_SLOTS[task.kind] ?? new Set(), (directive) => [directive]);
    },
  };
}
