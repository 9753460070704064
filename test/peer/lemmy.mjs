// A remote instance shaped like Lemmy, for Atoll's tests of group moderation: one community (a
// `Group`, /c/main, with a moderators collection in `attributedTo` and a `featured` collection) and
// three people (/u/mod, who moderates it, /u/user and /u/troll, who do not). Its documents and
// activities are written in Lemmy's wire format (crates/apub's assets); requests are signed and
// verified with Fedify's draft-cavage HTTP signatures, as Lemmy signs them. Driven over a JSON
// control API:
//   POST /control/post     {"author", "name", "content"}               → the group announces Create(Page)
//   POST /control/comment  {"author", "content", "inReplyTo", "via"?}   → the group announces Create(Note)
//                                                      ("via": "direct": the author sends it instead)
//   POST /control/moderate {"actor", "type", "object", "target"?, "summary"?, "removeData"?, "endTime"?,
//                           "undo"?: true, "via"?: "announce" | "direct"}
//        → the actor's Delete, Lock, Add, Remove or Block (wrapped in Undo with "undo"), announced by
//          the group to its followers (Lemmy's way) or sent by the actor straight to them
//   POST /control/moderators {"add"?: name, "remove"?: name}           → changes who moderates, silently
//   GET  /control/received                                              → verified activities received
// Each sending control answers with the deliveries made: [{inbox, status, body}].
import { KeyObject, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { generateCryptoKeyPair, signRequest, verifyRequest } from "@fedify/fedify";
import { getDocumentLoader } from "@fedify/vocab-runtime";

const { values } = parseArgs({ options: { host: { type: "string" }, port: { type: "string" } } });
const host = values.host ?? "127.0.0.2";
const port = Number(values.port ?? 0);
const origin = `http://${host}:${port}`;
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const CONTEXT = ["https://join-lemmy.org/context.json", "https://www.w3.org/ns/activitystreams"];
const loader = getDocumentLoader({ allowPrivateAddress: true });

const group = `${origin}/c/main`;
const people = ["mod", "user", "troll"];
const keys = new Map();
for (const name of ["main", ...people]) keys.set(name, await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"));
const moderators = new Set([`${origin}/u/mod`]);
const featured = [];
/** Follower actor id → the inbox it is delivered to. */
const followers = new Map();
const objects = new Map();
const received = [];
let counter = 0;

const actorUrl = (name) => (name === "main" ? group : `${origin}/u/${name}`);
const pem = (name) => KeyObject.from(keys.get(name).publicKey).export({ type: "spki", format: "pem" });

function actorDocument(name) {
  const id = actorUrl(name);
  const common = {
    "@context": [...CONTEXT, "https://w3id.org/security/v1"],
    id,
    preferredUsername: name,
    inbox: `${id}/inbox`,
    outbox: `${id}/outbox`,
    endpoints: { sharedInbox: `${origin}/inbox` },
    publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: pem(name) },
    published: "2024-01-01T00:00:00Z",
  };
  if (name !== "main") return { ...common, type: "Person", name };
  return {
    ...common,
    type: "Group",
    name: "Main",
    summary: "The main community.",
    followers: `${id}/followers`,
    attributedTo: `${id}/moderators`,
    featured: `${id}/featured`,
    postingRestrictedToMods: false,
  };
}

async function deliver(from, inbox, activity) {
  const body = JSON.stringify({ "@context": CONTEXT, ...activity });
  const unsigned = new Request(inbox, {
    method: "POST",
    headers: { "content-type": "application/activity+json", accept: "application/activity+json" },
    body,
  });
  const signed = await signRequest(unsigned, keys.get(from).privateKey, new URL(`${actorUrl(from)}#main-key`));
  const res = await fetch(signed);
  return { inbox, status: res.status, body: await res.text() };
}

async function toFollowers(from, activity) {
  const inboxes = new Set(followers.values());
  const out = [];
  for (const inbox of inboxes) out.push(await deliver(from, inbox, activity));
  return out;
}

/** The group passes an activity on to its followers, embedded in an Announce, as Lemmy does. */
function announce(activity) {
  return toFollowers("main", {
    id: `${origin}/activities/announce/${randomUUID()}`,
    type: "Announce",
    actor: group,
    to: [PUBLIC],
    cc: [`${group}/followers`],
    object: activity,
  });
}

function activityId(type) {
  return `${origin}/activities/${type.toLowerCase()}/${randomUUID()}`;
}

function create(author, object) {
  const activity = {
    id: activityId("create"),
    type: "Create",
    actor: actorUrl(author),
    to: [PUBLIC],
    cc: [group],
    audience: group,
    object,
  };
  objects.set(new URL(activity.id).pathname, activity);
  return activity;
}

function moderation(body) {
  const actor = actorUrl(body.actor);
  const inner = {
    id: activityId(body.type),
    type: body.type,
    actor,
    to: [PUBLIC],
    cc: [group],
    audience: group,
    object: body.object,
    ...(body.target ? { target: body.target } : {}),
    ...(body.summary ? { summary: body.summary } : {}),
    ...(body.type === "Block" ? { removeData: body.removeData === true } : {}),
    ...(body.endTime ? { endTime: body.endTime } : {}),
  };
  const activity = body.undo
    ? { id: activityId("undo"), type: "Undo", actor, to: [PUBLIC], cc: [group], audience: group, object: inner }
    : inner;
  objects.set(new URL(activity.id).pathname, activity);
  return activity;
}

async function control(method, path, body) {
  if (method === "GET" && path === "/control/received") return received;
  if (method !== "POST") return null;
  if (path === "/control/post") {
    const id = `${origin}/post/${++counter}`;
    const page = {
      id,
      type: "Page",
      attributedTo: actorUrl(body.author),
      to: [group, PUBLIC],
      cc: [],
      audience: group,
      name: body.name,
      content: `<p>${body.content}</p>`,
      mediaType: "text/html",
      source: { content: body.content, mediaType: "text/markdown" },
      sensitive: false,
      published: new Date().toISOString(),
    };
    objects.set(new URL(id).pathname, page);
    return { id, deliveries: await announce(create(body.author, page)) };
  }
  if (path === "/control/comment") {
    const id = `${origin}/comment/${++counter}`;
    const note = {
      id,
      type: "Note",
      attributedTo: actorUrl(body.author),
      to: [PUBLIC],
      cc: [group],
      audience: group,
      inReplyTo: body.inReplyTo,
      content: `<p>${body.content}</p>`,
      mediaType: "text/html",
      source: { content: body.content, mediaType: "text/markdown" },
      published: new Date().toISOString(),
    };
    objects.set(new URL(id).pathname, note);
    const activity = create(body.author, note);
    // "direct": the author's server sends it to the followers itself, as no Lemmy does (a forgery test).
    const deliveries = body.via === "direct" ? await toFollowers(body.author, activity) : await announce(activity);
    return { id, deliveries };
  }
  if (path === "/control/moderate") {
    const activity = moderation(body);
    const deliveries = body.via === "direct" ? await toFollowers(body.actor, activity) : await announce(activity);
    if (deliveries.every((d) => d.status < 300) && body.type === "Add" && body.target === `${group}/featured`)
      featured.push(body.object);
    return { activity, deliveries };
  }
  if (path === "/control/moderators") {
    if (body.add) moderators.add(actorUrl(body.add));
    if (body.remove) moderators.delete(actorUrl(body.remove));
    return { moderators: [...moderators] };
  }
  return null;
}

function collection(id, items) {
  return { "@context": CONTEXT, type: "OrderedCollection", id, totalItems: items.length, orderedItems: items };
}

function document(path) {
  const name = path === "/c/main" ? "main" : path.startsWith("/u/") ? path.slice(3) : null;
  if (name !== null && keys.has(name)) return actorDocument(name);
  if (path === "/c/main/moderators") return collection(`${group}/moderators`, [...moderators]);
  if (path === "/c/main/featured") return collection(`${group}/featured`, [...featured]);
  if (path === "/c/main/followers") return { ...collection(`${group}/followers`, []), totalItems: followers.size };
  const object = objects.get(path);
  return object ? { "@context": CONTEXT, ...object } : null;
}

async function receive(req, raw) {
  const request = new Request(new URL(req.url, origin), {
    method: "POST",
    headers: Object.entries(req.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])),
    body: raw,
  });
  const key = await verifyRequest(request, { documentLoader: loader, contextLoader: loader });
  if (key === null) return 401;
  const activity = JSON.parse(raw.toString());
  if (typeof activity.actor !== "string" || key.ownerId?.href !== activity.actor) return 401;
  received.push(activity);
  if (activity.type === "Follow" && activity.object === group) {
    const { document: follower } = await loader(activity.actor);
    const inbox = follower.endpoints?.sharedInbox ?? follower.inbox;
    followers.set(activity.actor, inbox);
    // Answered after the request, as Lemmy does from its queue.
    setTimeout(() => {
      void deliver("main", follower.inbox, {
        id: activityId("accept"),
        type: "Accept",
        actor: group,
        object: activity,
      });
    }, 50);
  }
  if (activity.type === "Undo" && activity.object?.type === "Follow") followers.delete(activity.actor);
  return 200;
}

const server = createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks);
    const path = new URL(req.url ?? "/", origin).pathname;
    if (path.startsWith("/control/")) {
      const out = await control(req.method, path, raw.length ? JSON.parse(raw.toString()) : {});
      res.writeHead(out === null ? 404 : 200, { "content-type": "application/json" });
      return res.end(JSON.stringify(out));
    }
    if (req.method === "POST" && (path === "/inbox" || path.endsWith("/inbox"))) {
      const status = await receive(req, raw);
      res.writeHead(status);
      return res.end();
    }
    const doc = req.method === "GET" ? document(path) : null;
    if (doc === null) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.end(JSON.stringify(doc));
  } catch (err) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(err?.stack ?? err));
  }
});

server.listen(port, host, () => {
  process.stdout.write(`${JSON.stringify({ ready: true, origin, actor: group })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
