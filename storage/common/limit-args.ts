import { DomainError } from "../../server/domain/errors.js";
import type { CounterIncrement, CounterKey, SlotRequest } from "../../server/domain/limit-ports.js";
import { nonNegativeInt } from "./federation.js";
import { int, str } from "./guards.js";

/* The arguments of the shared limits' ports, checked the same way by both adapters. */

export function checkedCounterKey(k: CounterKey): CounterKey {
  return { key: str(k.key, "key"), window: int(k.window, "window") };
}

export function checkedIncrement(i: CounterIncrement): CounterIncrement {
  return {
    ...checkedCounterKey(i),
    count: nonNegativeInt(i.count, "count"),
    expiresAt: int(i.expiresAt, "expiresAt"),
  };
}

export function checkedSlotRequest(r: SlotRequest): SlotRequest {
  const holder = str(r.holder, "holder");
  if (holder === "") throw new DomainError("invalid", "holder must not be empty.");
  return {
    key: str(r.key, "key"),
    holder,
    now: int(r.now, "now"),
    gapMs: nonNegativeInt(r.gapMs, "gapMs"),
    expiresAt: int(r.expiresAt, "expiresAt"),
  };
}
