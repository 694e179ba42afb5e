import { cantFinish, notUnderstood, type PlanContext, type SimPlanner } from "../sim/planner.js";
import { addDays, formatDate, type DateFormat } from "./date-format.js";
import { kmToMiles, readPreferenceRequest } from "./preference-docs.js";
import { eur, round } from "./world-kit.js";

/**
 * How the simulated agent works a user's request (user-preferences) with the
 * documented defaults, unless a followed lesson states the user's preference.
 */
export const preferencePlanner: SimPlanner = (context: PlanContext): string => {
  const request = readPreferenceRequest(context.task.request);
  if (request === undefined) return notUnderstood;
  const dateFormat: DateFormat = context.preference("date_format") ?? "YYYY-MM-DD";
  switch (request.kind) {
    case "delivery-date": {
      const date = context.mistake ? addDays(request.date, 1) : request.date;
      const booked = context.exec("book_delivery", { order_id: request.orderId, date });
      if (!booked.ok) return cantFinish(booked);
      return `Booked: the delivery of order ${request.orderId} is scheduled for ${formatDate(date, dateFormat)}.`;
    }
    case "distance": {
      const found = context.exec("get_distance", { city: request.city });
      if (!found.ok) return cantFinish(found);
      const km = Number(found.data["km"]) + (context.mistake ? 10 : 0);
      const distance = context.preference("units") === "miles" ? `${kmToMiles(km)} miles` : `${km} km`;
      return `${request.city} is ${distance} from our warehouse.`;
    }
    case "purchase": {
      const total = round(request.quantity * request.unitPrice);
      const askAbove = context.preference("confirm_above");
      if (askAbove !== undefined && total > askAbove) {
        return `The order of ${request.quantity} x ${request.item} comes to ${eur(total)} EUR. Shall I place it?`;
      }
      const placed = context.exec("place_purchase", { item: request.item, quantity: context.slip(request.quantity), unit_price: request.unitPrice });
      if (!placed.ok) return cantFinish(placed);
      return `Ordered ${request.quantity} x ${request.item} for ${eur(total)} EUR in total.`;
    }
    case "reply": {
      const status = context.exec("get_order_status", { order_id: request.orderId });
      if (!status.ok) return cantFinish(status);
      const reported = String(status.data["new_date"]);
      const date = context.mistake ? addDays(reported, 1) : reported;
      const greeting = context.preference("greeting") ?? "Hello";
      return `${greeting} ${request.company},\nwe are sorry: the shipment of order ${request.orderId} is delayed. The new delivery date is ${formatDate(date, dateFormat)}.\nBest regards`;
    }
  }
};
