import type { DateFormat } from "./date-format.js";
import { eur, readRequest, type RequestPattern } from "./world-kit.js";
import type { ToolSpec } from "./world.js";

/**
 * What user-preferences tells its agent: the documented tools, the documented
 * answer style, and the wording of its requests. What each user wants is the
 * world's secret (`user-preferences.ts`).
 */

export const PREFERENCE_TOOLS: readonly ToolSpec[] = [
  {
    name: "book_delivery",
    description: "Book the delivery of an order on a date.",
    parameters: { order_id: "string, order id, e.g. O-1234", date: "string, delivery date as YYYY-MM-DD" },
    required: ["order_id", "date"],
  },
  {
    name: "get_distance",
    description: "Road distance from our warehouse to a city, in km.",
    parameters: { city: "string, city name" },
    required: ["city"],
  },
  {
    name: "place_purchase",
    description: "Place a purchase order with our supplier.",
    parameters: { item: "string, what to buy", quantity: "number, how many", unit_price: "number, EUR per item" },
    required: ["item", "quantity", "unit_price"],
  },
  {
    name: "get_order_status",
    description: "Status of a customer order and its current delivery date (YYYY-MM-DD).",
    parameters: { order_id: "string, order id" },
    required: ["order_id"],
  },
];

/** What a user wants of the agent's answers. */
export interface Preferences {
  dateFormat: DateFormat;
  units: "km" | "miles";
  greeting: "Dear" | "Hi" | "Hello";
  /** Ask first before a purchase above this many EUR (`undefined`: never ask). */
  confirmAbove: number | undefined;
}

/** What the agent does without being told: the documented style. */
export const DEFAULT_PREFERENCES: Preferences = { dateFormat: "YYYY-MM-DD", units: "km", greeting: "Hello", confirmAbove: undefined };

/** Kilometres as this world's answers give them in miles. */
export function kmToMiles(km: number): number {
  return Math.round(km * 0.621371);
}

/** A request of this world, read back. */
export type PreferenceRequest =
  | { kind: "delivery-date"; orderId: string; date: string }
  | { kind: "distance"; city: string }
  | { kind: "purchase"; quantity: number; item: string; unitPrice: number }
  | { kind: "reply"; company: string; orderId: string };

const PATTERNS: readonly RequestPattern<PreferenceRequest>[] = [
  {
    regex: /^Book the delivery of order (O-\d+) for (\d{4}-\d{2}-\d{2}) and confirm the date to me\.$/,
    read: (m) => ({ kind: "delivery-date", orderId: m[1] as string, date: m[2] as string }),
  },
  { regex: /^How far is our warehouse from ([A-Z][a-z]+)\?$/, read: (m) => ({ kind: "distance", city: m[1] as string }) },
  {
    regex: /^Buy (\d+) x ([a-z ]+) at (\d+\.\d{2}) EUR each\.$/,
    read: (m) => ({ kind: "purchase", quantity: Number(m[1]), item: m[2] as string, unitPrice: Number(m[3]) }),
  },
  {
    regex: /^Draft a reply to ([A-Z][a-z]+) about the delayed shipment of order (O-\d+)\.$/,
    read: (m) => ({ kind: "reply", company: m[1] as string, orderId: m[2] as string }),
  },
];

/** Reads a request of user-preferences; `undefined` when it is not one. */
export function readPreferenceRequest(request: string): PreferenceRequest | undefined {
  return readRequest(PATTERNS, request);
}

/** Writes a request of user-preferences, as a user asks it. */
export function writePreferenceRequest(request: PreferenceRequest): string {
  switch (request.kind) {
    case "delivery-date":
      return `Book the delivery of order ${request.orderId} for ${request.date} and confirm the date to me.`;
    case "distance":
      return `How far is our warehouse from ${request.city}?`;
    case "purchase":
      return `Buy ${request.quantity} x ${request.item} at ${eur(request.unitPrice)} EUR each.`;
    case "reply":
      return `Draft a reply to ${request.company} about the delayed shipment of order ${request.orderId}.`;
  }
}
