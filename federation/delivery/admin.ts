import { normalizeDomain } from "../../server/domain/defederation/rules.js";
import { DomainError } from "../../server/domain/errors.js";
import type { DroppedDelivery, InboundRetry, PendingInbox } from "../../server/domain/federation-ports.js";
import type { DeliveryActions, ReplayOutcome } from "../../server/services/delivery-actions.js";
import type { FederationContext } from "../context.js";
import { deliverySuspension } from "./worker.js";

/** Dropped records read per page while a bulk replay looks for what it may queue again. */
const PAGE = 500;

/**
 * The operators' view of the delivery queue and the dropped list, and replays. A replay queues the
 * item again under its id, at the tail of its inbox and as new (its retry horizon starts again),
 * unless the domain rules forbid sending it now (the same check the worker makes at send time).
 * Bulk replays queue the oldest drops first, so an inbox gets them in the order they were dropped.
 */
export class DeliveryAdmin implements DeliveryActions {
  readonly #ctx: FederationContext;
  readonly #queued: () => void;

  /** `queued` is told when something was queued again (the local worker's kick). */
  constructor(ctx: FederationContext, queued: () => void) {
    this.#ctx = ctx;
    this.#queued = queued;
  }

  pending(opts: { domain?: string; limit?: number } = {}): Promise<PendingInbox[]> {
    const { deliveries } = this.#ctx.s.store.federation;
    const domain = opts.domain === undefined ? undefined : domainOf(opts.domain);
    return deliveries.pendingInboxes(this.#ctx.s.clock(), opts.limit ?? 1000, domain);
  }

  dropped(opts: { domain?: string; limit: number; before?: number }): Promise<DroppedDelivery[]> {
    const { deliveries } = this.#ctx.s.store.federation;
    return deliveries.listDropped(opts.limit, {
      ...(opts.domain === undefined ? {} : { domain: domainOf(opts.domain) }),
      ...(opts.before === undefined ? {} : { before: opts.before }),
    });
  }

  async retry(seq: number): Promise<DroppedDelivery> {
    const { deliveries } = this.#ctx.s.store.federation;
    const d = await deliveries.getDropped(seq);
    if (!d) throw new DomainError("not_found", `There is no dropped delivery ${seq}.`);
    if (d.body === "") {
      throw new DomainError(
        "unprocessable",
        "This delivery was dropped before bodies were kept; it cannot be sent again.",
      );
    }
    const suspended = deliverySuspension(this.#ctx, d);
    if (suspended !== null) throw new DomainError("conflict", `Not queued again: ${suspended}`);
    if ((await deliveries.replayDropped([seq], this.#ctx.s.clock())) === 0) {
      throw new DomainError("not_found", `There is no dropped delivery ${seq} any more.`);
    }
    this.#logReplay(1, { seq, inbox: d.inbox });
    this.#queued();
    return d;
  }

  async retryDomain(domain: string): Promise<ReplayOutcome> {
    const d = domainOf(domain);
    const decision = this.#ctx.s.policy.check(d);
    if (decision.suspended) {
      throw new DomainError(
        "conflict",
        `${d} is suspended by the domain rules (${decision.reason}); its deliveries stay dropped.`,
      );
    }
    return this.#replayWhere(d);
  }

  retryAll(): Promise<ReplayOutcome> {
    return this.#replayWhere(undefined);
  }

  async #replayWhere(domain: string | undefined): Promise<ReplayOutcome> {
    const { deliveries } = this.#ctx.s.store.federation;
    const eligible: number[] = [];
    let refused = 0;
    let before: number | undefined;
    for (;;) {
      const page = await deliveries.listDropped(PAGE, {
        ...(domain === undefined ? {} : { domain }),
        ...(before === undefined ? {} : { before }),
      });
      for (const d of page) {
        if (d.body === "" || deliverySuspension(this.#ctx, d) !== null) refused++;
        else eligible.push(d.seq);
      }
      if (page.length < PAGE) break;
      before = page.at(-1)!.seq;
    }
    eligible.sort((a, b) => a - b);
    let queued = 0;
    for (let i = 0; i < eligible.length; i += PAGE) {
      queued += await deliveries.replayDropped(eligible.slice(i, i + PAGE), this.#ctx.s.clock());
    }
    this.#logReplay(queued, { domain: domain ?? "all", refused });
    if (queued > 0) this.#queued();
    return { queued, refused };
  }

  inbound(opts: { failed: boolean; limit: number }): Promise<InboundRetry[]> {
    return this.#ctx.s.store.federation.inboundRetries.list(opts);
  }

  async retryInbound(id: string): Promise<void> {
    const queue = this.#ctx.s.store.federation.inboundRetries;
    if (!(await queue.replay(id, this.#ctx.s.clock()))) {
      throw new DomainError("not_found", `No activity ${id} was given up on.`);
    }
    this.#ctx.s.logger.info("an inbound activity given up on is tried again", { id });
  }

  async retryAllInbound(): Promise<number> {
    const queue = this.#ctx.s.store.federation.inboundRetries;
    let replayed = 0;
    // Each replayed item leaves the failed list, so every page is new; a page replaying nothing
    // (another process took them first) ends the walk.
    for (;;) {
      const page = await queue.list({ failed: true, limit: PAGE });
      let now = 0;
      for (const item of page) if (await queue.replay(item.id, this.#ctx.s.clock())) now++;
      replayed += now;
      if (page.length < PAGE || now === 0) break;
    }
    this.#ctx.s.logger.info("inbound activities given up on are tried again", { replayed });
    return replayed;
  }

  #logReplay(queued: number, detail: Record<string, unknown>): void {
    this.#ctx.s.logger.info("dropped deliveries queued again", { queued, ...detail });
  }
}

function domainOf(value: string): string {
  const d = typeof value === "string" ? normalizeDomain(value) : null;
  if (d === null) throw new DomainError("invalid", "domain: a host name, such as example.org.");
  return d;
}
