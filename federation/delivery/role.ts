import { ConfigError } from "../../server/config.js";

/**
 * What a process does with outbound deliveries. `all` (the default): it queues them and sends them.
 * `web`: it only queues them, for another process on the same store running as `worker` (or `all`)
 * to send; so web processes can scale out while one process delivers.
 */
export type DeliveryRole = "all" | "web" | "worker";

/** Reads ATOLL_ROLE; unset or empty means `all`. Throws ConfigError for any other value. */
export function deliveryRole(value: string | undefined): DeliveryRole {
  if (value === undefined || value === "") return "all";
  if (value === "all" || value === "web" || value === "worker") return value;
  throw new ConfigError(`Invalid configuration:\n  ATOLL_ROLE: expected "all", "web" or "worker"`);
}

/** Whether a process in this role sends deliveries. */
export function sendsDeliveries(role: DeliveryRole): boolean {
  return role !== "web";
}
