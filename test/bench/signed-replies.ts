/**
 * Signed inbox deliveries for the federation benchmarks: Mastodon-shaped `Create(Note)` replies
 * from one remote actor, each signed before a timed run, on worker threads, since signing is the
 * client's cost.
 */
import { once } from "node:events";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { FakeActor } from "../support/fake-peer.js";
import type { SignJob } from "./sign-worker.js";

const AS = "https://www.w3.org/ns/activitystreams";

const PUBLIC = `${AS}#Public`;

export const ACTIVITY_JSON = "application/activity+json";

/** One inbox POST ready to send: the exact bytes that were signed and the headers that sign them. */
export interface SignedDelivery {
  headers: Record<string, string>;
  body: Buffer;
  /** The id of the Note it creates, to find it in the thread afterwards. */
  noteId: string;
}

/** Builds Mastodon-shaped `Create(Note)` replies from one remote actor, each with fresh ids. */
export class ReplyFactory {
  #seq = 0;

  constructor(
    private readonly actor: FakeActor,
    /** The bench server's PUBLIC_URL. */
    private readonly publicUrl: string,
    private readonly board: string,
  ) {}

  next(threadNo: number): { body: string; noteId: string } {
    const n = ++this.#seq;
    const statusId = `${this.actor.id}/statuses/${n}`;
    const boardActor = `${this.publicUrl}/ap/boards/${this.board}`;
    const followers = `${this.actor.id}/followers`;
    const published = new Date().toISOString();
    const host = new URL(this.publicUrl).host;
    const note = {
      id: statusId,
      type: "Note",
      summary: null,
      inReplyTo: `${this.publicUrl}/${this.board}/thread/${threadNo}`,
      published,
      url: `${new URL(this.actor.id).origin}/@bench/${n}`,
      attributedTo: this.actor.id,
      to: [PUBLIC],
      cc: [followers, boardActor],
      sensitive: false,
      content:
        `<p><span class="h-card"><a href="${boardActor}" class="u-url mention">@<span>${this.board}</span></a></span> ` +
        `Benchmark reply ${n}: a few words from the fediverse, with <a href="https://example.org/page" rel="nofollow">a link</a>.</p>`,
      attachment: [],
      tag: [{ type: "Mention", href: boardActor, name: `@${this.board}@${host}` }],
    };
    const activity = {
      "@context": [AS, "https://w3id.org/security/v1"],
      id: `${statusId}/activity`,
      type: "Create",
      actor: this.actor.id,
      published,
      to: note.to,
      cc: note.cc,
      object: note,
    };
    return { body: JSON.stringify(activity), noteId: statusId };
  }
}

/** Signs the bodies for `inboxUrl` with the actor's key, split over worker threads. */
export async function presign(
  inboxUrl: string,
  actor: FakeActor,
  items: Array<{ body: string; noteId: string }>,
): Promise<SignedDelivery[]> {
  if (items.length === 0) return [];
  const threads = Math.max(1, Math.min(availableParallelism(), Math.ceil(items.length / 200)));
  const per = Math.ceil(items.length / threads);
  const chunks = Array.from({ length: threads }, (_, k) => items.slice(k * per, (k + 1) * per));
  const signed = await Promise.all(
    chunks.map(async (chunk) => {
      const job: SignJob = {
        url: inboxUrl,
        keyId: actor.keyId,
        privateKeyPem: actor.privateKeyPem,
        bodies: chunk.map((c) => c.body),
      };
      const worker = new Worker(new URL("./sign-worker.js", import.meta.url), { workerData: job });
      const [headers] = (await once(worker, "message")) as [Array<Record<string, string>>];
      await worker.terminate();
      return headers;
    }),
  );
  return signed.flat().map((h, i) => {
    const headers: Record<string, string> = { "content-type": ACTIVITY_JSON };
    for (const [name, value] of Object.entries(h)) headers[name.toLowerCase()] = value;
    const item = items[i]!;
    return { headers, body: Buffer.from(item.body), noteId: item.noteId };
  });
}
