/**
 * The benchmark's server process: one Atoll instance on a fresh SQLite store, seeded with the pages
 * the benchmark reads, and beside it a plain Express route returning a short text (the baseline).
 * Federation is on, with private addresses allowed so loopback peers can be reached: /fed/ has
 * threads for remote replies to land in, and /fan/ has 1,000 followers spread over the shared
 * inboxes given in BENCH_FANOUT_INBOXES (a JSON array of URLs). Prints one JSON line with the
 * addresses when ready.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { createInstance } from "../../server/app.js";
import { MEDIA_TYPES } from "../../server/domain/board.js";
import type { NewPost } from "../../server/domain/post.js";
import { configureSharpForServer } from "../../server/services/images.js";
import { createLogger } from "../../server/services/logger.js";
import { freePort } from "../support/fedify-peer.js";
import { benchConfig } from "./instance-config.js";

const dataDir = await mkdtemp(join(tmpdir(), "atoll-bench-"));

const port = Number(process.env["BENCH_PORT"] ?? 0) || (await freePort());
const config = benchConfig(dataDir, port);
configureSharpForServer();
const instance = await createInstance(config, { logger: createLogger("error") });
const { services } = instance;

const post = (i: number, comment: string): NewPost => ({
  createdAt: Date.now() + i,
  name: "Anonymous",
  trip: null,
  capcode: null,
  subject: null,
  comment,
  html: comment.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c] ?? c),
  quotes: [],
  posterId: null,
  sage: false,
  file: null,
  fileDeleted: false,
  ipHash: `bench${i % 50}`,
  passwordHash: null,
  apId: null,
  fediActor: null,
});

// /big/: one thread of 300 replies; /cat/: 150 threads with a few replies each (catalog and index).
await services.boards.create({
  uri: "big",
  title: "Big thread",
  settings: { requireImageForThread: false, bumpLimit: 500 },
});
await services.boards.create({ uri: "cat", title: "Catalog", settings: { requireImageForThread: false } });
await services.boards.create({
  uri: "p",
  title: "Posting",
  settings: {
    requireImageForThread: false,
    bumpLimit: 10_000,
    imageLimit: 10_000,
    maxFileSize: 16 * 1024 * 1024,
    // With BENCH_RATE_LIMIT=on, posts still take their cooldown slot, without being held back by it.
    threadCooldown: 0,
    replyCooldown: 0,
  },
});
// /v/: video replies over HTTP (the video section of the benchmark).
await services.boards.create({
  uri: "v",
  title: "Video",
  settings: {
    requireImageForThread: false,
    allowedTypes: [...MEDIA_TYPES],
    maxFileSize: 16 * 1024 * 1024,
    bumpLimit: 10_000,
    imageLimit: 10_000,
    threadCooldown: 0,
    replyCooldown: 0,
  },
});
const lorem =
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. >quoted line here";
const { post: big } = await services.store.posts.createThread(
  "big",
  { ...post(0, "The big thread"), subject: "Big" },
  { maxThreads: 150 },
);
for (let i = 1; i <= 300; i++) {
  await services.store.posts.createReply("big", big.no, post(i, `${lorem} reply ${i}`), {
    bumpLimit: 500,
    imageLimit: 150,
  });
}
for (let t = 0; t < 150; t++) {
  const { post: op } = await services.store.posts.createThread(
    "cat",
    { ...post(t, `Thread ${t} ${lorem}`), subject: `Thread ${t}` },
    { maxThreads: 150 },
  );
  for (let r = 0; r < 6; r++) {
    await services.store.posts.createReply("cat", op.no, post(r, `${lorem} ${r}`), { bumpLimit: 300, imageLimit: 150 });
  }
}
const { post: videoThread } = await services.store.posts.createThread("v", post(0, "Video replies"), {
  maxThreads: 150,
});
const targets: number[] = [];
for (let t = 0; t < 10; t++) {
  const { post: op } = await services.store.posts.createThread("p", post(t, `Posting target ${t}`), {
    maxThreads: 150,
  });
  targets.push(op.no);
}

// /fed/: threads that remote replies arrive in (the inbox benchmark spreads them over the first ten;
// the last one is kept quiet for the arrival-to-visible latency).
await services.boards.create({
  uri: "fed",
  title: "Federated",
  settings: { requireImageForThread: false, bumpLimit: 10_000, imageLimit: 10_000 },
});
const fedThreads: number[] = [];
for (let t = 0; t < 11; t++) {
  const { post: op } = await services.store.posts.createThread("fed", post(t, `Federated thread ${t}`), {
    maxThreads: 150,
  });
  fedThreads.push(op.no);
}

// /fan/: 1,000 accepted followers, 20 on each shared inbox.
const fanInboxes = JSON.parse(process.env["BENCH_FANOUT_INBOXES"] ?? "[]") as string[];
await services.boards.create({ uri: "fan", title: "Fan-out", settings: { requireImageForThread: false } });
const fanObject = `${config.publicUrl}/ap/boards/fan`;
const FOLLOWERS = fanInboxes.length > 0 ? 1000 : 0;
for (let i = 0; i < FOLLOWERS; i++) {
  const sharedInbox = fanInboxes[i % fanInboxes.length]!;
  const origin = new URL(sharedInbox).origin;
  const actorId = `${origin}/users/f${i}`;
  await services.store.federation.follows.add({
    id: `${actorId}#follow-fan`,
    actorId,
    objectId: fanObject,
    board: "fan",
    direction: "inbound",
    state: "pending",
    inbox: `${actorId}/inbox`,
    sharedInbox,
    domain: new URL(origin).hostname,
    createdAt: Date.now(),
  });
  await services.store.federation.follows.accept(actorId, fanObject);
}

const url = await instance.listen();
const plain = express();
plain.get("/plain", (_req, res) => {
  res.type("text/plain").send("ok");
});
const plainServer = plain.listen(0, "127.0.0.1");
await new Promise((r) => plainServer.once("listening", r));
const plainUrl = `http://127.0.0.1:${(plainServer.address() as AddressInfo).port}/plain`;

process.stdout.write(
  `${JSON.stringify({
    ready: true,
    url,
    plainUrl,
    bigThread: big.no,
    postTargets: targets,
    fedThreads: fedThreads.slice(0, 10),
    latencyThread: fedThreads[10],
    fanFollowers: FOLLOWERS,
    videoThread: videoThread.no,
    dataDir,
  })}\n`,
);

const stop = async () => {
  plainServer.close();
  await instance.close(1000);
  // Uploads still being written when the benchmark ends may recreate folders for a moment.
  await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }).catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
