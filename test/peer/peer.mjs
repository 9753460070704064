// An independent ActivityPub server built with Fedify, playing a Mastodon-like remote instance in
// Atoll's federation tests. It runs on Node.js 22 as a child process, on a loopback address, and is
// driven over a small JSON control API:
//   POST /control/follow  {"target": "acct:b@host" | actor URL}        → Follow the target
//   POST /control/undo-follow {"target": …}                          → Undo the Follow
//   POST /control/note    {"to": actor URL, "content", "inReplyTo"?, "mention"?, "image"?}
//                                                                     → Create(Note) sent to `to`
//   POST /control/lookup  {"uri"}                                      → the object as Fedify reads it
//   GET  /control/received                                             → activities its inbox accepted
//   GET  /control/media-requests                                       → how often /image.png was fetched
//   POST /control/image   {"base64", "type"}                           → what /image.png serves from now on
// Every inbound request is signature-checked by Fedify; only verified activities are recorded.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import {
  Activity,
  Create,
  Document,
  Endpoints,
  Follow,
  Image,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Undo,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";

const { values } = parseArgs({ options: { host: { type: "string" }, port: { type: "string" } } });
const host = values.host ?? "127.0.0.2";
const port = Number(values.port ?? 0);
const origin = `http://${host}:${port}`;

const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true,
  origin,
});

const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const received = [];
const notes = new Map();
let counter = 0;

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "alice") return null;
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice Peer",
      summary: "A test peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      url: ctx.getActorUri(identifier),
      publicKey: (await ctx.getActorKeyPairs(identifier))[0]?.cryptographicKey,
      icon: new Image({ url: new URL(`${origin}/avatar.png`), mediaType: "image/png" }),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "alice" ? [keys] : []));

federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, { id }) => notes.get(id) ?? null);

federation.setInboxListeners("/users/{identifier}/inbox", "/inbox").on(Activity, async (_ctx, activity) => {
  received.push(await activity.toJsonLd({ format: "compact" }));
});

const alice = (ctx) => ({ id: ctx.getActorUri("alice"), identifier: "alice" });

async function control(req, body) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const url = new URL(req.url, origin);
  if (req.method === "GET" && url.pathname === "/control/received") return received;
  if (req.method === "GET" && url.pathname === "/control/media-requests") return { count: mediaRequests };
  if (url.pathname === "/control/image") {
    served = { body: Buffer.from(String(body.base64), "base64"), type: String(body.type) };
    return { ok: true };
  }
  if (req.method !== "POST") return null;
  if (url.pathname === "/control/lookup") {
    const obj = await ctx.lookupObject(body.uri);
    if (!obj) return { found: false };
    const json = await obj.toJsonLd({ format: "compact" });
    const attachments = [];
    if (typeof obj.getAttachments === "function") {
      for await (const a of obj.getAttachments())
        attachments.push({ type: a.constructor.name, url: a.url?.href ?? null, mediaType: a.mediaType ?? null });
    }
    return {
      found: true,
      type: obj.constructor.name,
      id: obj.id?.href ?? null,
      name: obj.name?.toString() ?? null,
      content: obj.content?.toString() ?? null,
      attributedTo: obj.attributionId?.href ?? null,
      inbox: obj.inboxId?.href ?? null,
      publicKeyOwner:
        typeof obj.getPublicKey === "function" ? ((await obj.getPublicKey())?.ownerId?.href ?? null) : null,
      attachments,
      json,
    };
  }
  if (url.pathname === "/control/follow" || url.pathname === "/control/undo-follow") {
    const target = await ctx.lookupObject(body.target);
    if (!target?.id) return { ok: false, reason: "target not found" };
    const follow = new Follow({
      id: new URL(`${origin}/follows/${encodeURIComponent(target.id.href)}`),
      actor: ctx.getActorUri("alice"),
      object: target.id,
    });
    const activity =
      url.pathname === "/control/follow"
        ? follow
        : new Undo({ id: new URL(`${origin}/undo/${++counter}`), actor: ctx.getActorUri("alice"), object: follow });
    await ctx.sendActivity(alice(ctx), target, activity);
    return { ok: true, target: target.id.href };
  }
  if (url.pathname === "/control/note") {
    const recipient = await ctx.lookupObject(body.to);
    if (!recipient?.id) return { ok: false, reason: "recipient not found" };
    const id = String(++counter);
    const note = new Note({
      id: new URL(`${origin}/notes/${id}`),
      attribution: ctx.getActorUri("alice"),
      content: body.content,
      to: PUBLIC_COLLECTION,
      ccs: [recipient.id],
      replyTarget: body.inReplyTo ? new URL(body.inReplyTo) : null,
      tags: body.mention ? [new Mention({ href: recipient.id, name: body.mention })] : [],
      attachments: body.image ? [new Document({ url: new URL(body.image), mediaType: "image/png" })] : [],
      published: Temporal.Now.instant(),
    });
    notes.set(id, note);
    const create = new Create({
      id: new URL(`${origin}/notes/${id}/activity`),
      actor: ctx.getActorUri("alice"),
      object: note,
      to: PUBLIC_COLLECTION,
      ccs: [recipient.id],
    });
    await ctx.sendActivity(alice(ctx), recipient, create);
    return { ok: true, id: note.id.href };
  }
  return null;
}

// A 1×1 PNG served as the avatar and as an image to attach.
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a2e1c1" +
    "7f0000000049454e44ae426082",
  "hex",
);

// Fetches of the attachable image, so a test can tell whether its media was fetched at all.
let mediaRequests = 0;
// What /image.png serves: the tiny PNG until a test hands the peer a real image.
let served = null;

const server = createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks);
    if (req.url === "/image.png") mediaRequests++;
    if (req.url === "/image.png" && served !== null) {
      res.writeHead(200, { "content-type": served.type, "content-length": served.body.length });
      return res.end(served.body);
    }
    if (req.url === "/avatar.png" || req.url === "/image.png") {
      res.writeHead(200, { "content-type": "image/png", "content-length": PNG.length });
      return res.end(PNG);
    }
    if (req.url?.startsWith("/control/")) {
      const out = await control(req, raw.length ? JSON.parse(raw.toString()) : {});
      res.writeHead(out === null ? 404 : 200, { "content-type": "application/json" });
      return res.end(JSON.stringify(out));
    }
    const request = new Request(new URL(req.url ?? "/", origin), {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([k, v]) =>
        Array.isArray(v) ? v.map((x) => [k, x]) : v === undefined ? [] : [[k, v]],
      ),
      body: req.method === "GET" || req.method === "HEAD" ? undefined : raw,
    });
    const response = await federation.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (err) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(err?.stack ?? err));
  }
});

server.listen(port, host, () => {
  process.stdout.write(`${JSON.stringify({ ready: true, origin, actor: `${origin}/users/alice` })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
