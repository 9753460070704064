import request from "supertest";
import { FederationContext } from "../../federation/context.js";
import { DeliveryWorker, type DeliveryWorkerOptions } from "../../federation/delivery/worker.js";
import { FederationIds } from "../../federation/ids.js";
import { LocalKeys } from "../../federation/keys.js";
import type { NewDelivery } from "../../server/domain/federation-ports.js";
import { FakeInbox } from "./fake-inbox.js";
import { startTestInstance, type TestInstance } from "./instance.js";

/*
 * What the delivery worker's tests share: an instance whose own worker does not run, a worker of
 * the test's own (with an injected clock), a fake inbox that verifies signatures with the
 * instance's keys, and items queued directly for a board's actor to sign.
 */

export const PUBLIC_URL = "http://atoll.test";
export const BOARD_ACTOR = `${PUBLIC_URL}/ap/boards/b`;

/** Everything a test made, torn down after it in reverse order. */
export class Cleanup {
  readonly #steps: Array<() => Promise<void>> = [];

  add(step: () => Promise<void>): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step();
  }
}

/**
 * An instance whose own worker does not run (ATOLL_ROLE=web), so the test drives a worker of its
 * own. Its publisher still queues what is posted. It has a board /b/ unless `board` is false.
 */
export async function deliveryInstance(
  cleanup: Cleanup,
  opts: { env?: Record<string, string>; role?: string; dataDir?: string; board?: boolean } = {},
): Promise<TestInstance> {
  const t = await startTestInstance(
    { PUBLIC_URL, ALLOW_PRIVATE_ADDRESSES: "on", ATOLL_ROLE: opts.role ?? "web", ...opts.env },
    opts.dataDir ? { dataDir: opts.dataDir } : {},
  );
  // Stopping twice (a test that restarts, then the cleanup) stops once.
  const stop = t.stop;
  let stopped: Promise<void> | null = null;
  t.stop = () => {
    stopped ??= stop();
    return stopped;
  };
  cleanup.add(() => t.stop());
  if (opts.board !== false) {
    await t.services.boards.create({ uri: "b", title: "b", settings: { requireImageForThread: false } });
  }
  return t;
}

/** A fake inbox that checks signatures with the keys the instance publishes (GET /ap/boards/b…). */
export async function fakeInbox(cleanup: Cleanup, get: () => TestInstance, addresses?: string[]): Promise<FakeInbox> {
  const inbox = await FakeInbox.start({
    ...(addresses ? { addresses } : {}),
    publicKeyOf: async (actorId) => {
      const res = await request(get().app).get(new URL(actorId).pathname).set("Accept", "application/activity+json");
      return JSON.parse(res.text).publicKey.publicKeyPem as string;
    },
  });
  cleanup.add(() => inbox.close());
  return inbox;
}

export function deliveryWorker(cleanup: Cleanup, t: TestInstance, opts: DeliveryWorkerOptions = {}): DeliveryWorker {
  const ids = new FederationIds(t.services.config.publicUrl);
  const ctx = new FederationContext(t.services, ids, new LocalKeys(t.services.store.federation.keys));
  const w = new DeliveryWorker(ctx, opts);
  cleanup.add(() => w.stop());
  return w;
}

/** Items `from`..`to` for `inbox`, signed by /b/'s actor; each body names its number. */
export function items(inbox: string, from: number, to: number, prefix = "n"): NewDelivery[] {
  const out: NewDelivery[] = [];
  for (let n = from; n <= to; n++) {
    const id = `${PUBLIC_URL}/activities/${prefix}${n}`;
    out.push({
      id: `${id} ${inbox}`,
      inbox,
      domain: new URL(inbox).hostname,
      body: JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id, type: "Create", n }),
      keyId: BOARD_ACTOR,
      activityId: id,
    });
  }
  return out;
}

/** The numbers carried by the bodies of what an inbox received, in arrival order. */
export function numbers(received: Array<{ body: Record<string, unknown> }>): number[] {
  return received.map((r) => r.body["n"] as number);
}

/** An accepted inbound follow of /b/ by a remote actor delivered at `inbox` (or its shared inbox). */
export async function follow(t: TestInstance, actor: string, inbox: string, sharedInbox: string | null): Promise<void> {
  const { follows } = t.services.store.federation;
  await follows.add({
    id: `${actor}#follow-b`,
    actorId: actor,
    objectId: BOARD_ACTOR,
    board: "b",
    direction: "inbound",
    state: "pending",
    inbox,
    sharedInbox,
    domain: new URL(actor).hostname,
    createdAt: Date.now(),
  });
  await follows.accept(actor, BOARD_ACTOR);
}
