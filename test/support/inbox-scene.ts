import request from "supertest";
import type { Clock } from "../../server/services/clock.js";
import type { Logger } from "../../server/services/logger.js";
import { type FakeActor, FakePeer, postSigned } from "./fake-peer.js";
import { freePort } from "./fedify-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "./instance.js";

export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
export const AS = "https://www.w3.org/ns/activitystreams";

export type Json = Record<string, unknown>;

/**
 * What the inbox tests run against: an instance listening on loopback with /b/ (threads without an
 * image allowed, one local thread `op`) and /pics/, and two fake peers: `peer`, home of alice and
 * mallory, serving an image and a page that claims to be one, and `origin`, home of bob. The helpers
 * build activities with fresh ids and send them signed to the shared inbox.
 */
export class InboxScene {
  t!: TestInstance;
  peer!: FakePeer;
  origin!: FakePeer;
  alice!: FakeActor;
  mallory!: FakeActor;
  bob!: FakeActor;
  op = 0;
  sharedInbox = "";
  boardId = "";
  #seq = 0;

  /**
   * `logger`: where the instance logs (by default nowhere); `clock`: the instance's clock; `env`:
   * more of its configuration.
   */
  constructor(private readonly opts: { logger?: Logger; clock?: Clock; env?: Record<string, string> } = {}) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.t = await startTestInstance(
      {
        ALLOW_PRIVATE_ADDRESSES: "on",
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        PORT: String(port),
        ...this.opts.env,
      },
      {
        listen: true,
        ...(this.opts.logger ? { logger: this.opts.logger } : {}),
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      },
    );
    const t = this.t;
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    await t.services.boards.create({ uri: "pics", title: "Pictures" });
    this.op = (await t.services.posting.createThread({ board: "b", comment: "local op", ip: "192.0.2.1" })).no;
    this.sharedInbox = `${t.url}/ap/inbox`;
    this.boardId = `${t.url}/ap/boards/b`;
    this.peer = await FakePeer.start();
    this.origin = await FakePeer.start();
    this.alice = this.peer.actor("alice");
    this.mallory = this.peer.actor("mallory");
    this.bob = this.origin.actor("bob");
    this.peer.serve("/media/cat.jpg", await makeJpeg(320, 200), { type: "image/jpeg" });
    this.peer.serve("/media/not-an-image.jpg", Buffer.from("<html>nope</html>"), { type: "text/html" });
  }

  async stop(): Promise<void> {
    await this.t?.stop();
    await this.peer?.close();
    await this.origin?.close();
  }

  /** A URL on `peer` no other call returned. */
  readonly fresh = (what: string) => `${this.peer.url}/${what}/${++this.#seq}`;

  /** The posts of thread `no` on /b/ through the JSON API, none when it is not there. */
  readonly thread = async (no: number): Promise<Json[]> => {
    const res = await request(this.t.app).get(`/b/thread/${no}.json`);
    return res.status === 200 ? (res.body.posts as Json[]) : [];
  };

  /** The local post a remote object became, if any. */
  readonly postByApId = async (apId: string): Promise<{ board: string; no: number } | null> =>
    this.t.services.store.federation.remotePosts.get(apId);

  /** A public Note by `author` addressed to /b/. */
  readonly note = (author: FakeActor, extra: Json = {}): Json => ({
    id: this.fresh("notes"),
    type: "Note",
    attributedTo: author.id,
    to: [PUBLIC],
    cc: [this.boardId],
    content: "<p>hello</p>",
    ...extra,
  });

  /** A Create of `object` by `author`, with the object's addressing. */
  readonly create = (author: FakeActor, object: Json, extra: Json = {}): Json => ({
    "@context": AS,
    id: this.fresh("activities/create"),
    type: "Create",
    actor: author.id,
    to: object["to"],
    cc: object["cc"],
    object,
    ...extra,
  });

  /** POSTs `body` to the shared inbox, signed by `signer` (unsigned with null). */
  readonly send = (body: unknown, signer: FakeActor | null, opts: Parameters<typeof postSigned>[3] = {}) =>
    postSigned(this.sharedInbox, body, signer, opts);
}
