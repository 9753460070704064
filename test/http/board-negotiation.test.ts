import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FederationIds } from "../../federation/ids.js";
import { Urls } from "../../server/services/urls.js";
import { type FedifyPeer, fedifyPeerUnavailable, freePort, startFedifyPeer } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const unavailable = fedifyPeerUnavailable();
const AS_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

interface Lookup {
  found: boolean;
  type: string;
  id: string;
  name: string | null;
  inbox: string | null;
}

/** The `<link rel="alternate">` elements of a page's head, as type → href. */
function alternates(page: string): Array<{ type: string; href: string }> {
  const head = page.slice(0, page.indexOf("</head>"));
  return [...head.matchAll(/<link rel="alternate" type="([^"]+)" href="([^"]+)"/g)].map((m) => ({
    type: m[1] ?? "",
    href: m[2] ?? "",
  }));
}

describe("the board URL answers ActivityPub requests with the board's Group", () => {
  let t: TestInstance;
  let base: string;
  let thread: number;

  const get = (path: string, accept?: string) =>
    fetch(`${base}${path}`, { headers: accept ? { accept } : {}, redirect: "manual" });

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestInstance(
      { PORT: String(port), PUBLIC_URL: base, ALLOW_PRIVATE_ADDRESSES: "on" },
      { listen: true },
    );
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    thread = (await t.services.posting.createThread({ board: "b", comment: "hello", ip: "192.0.2.9" })).no;
  });
  afterAll(() => t?.stop());

  it("serves the same Group document at /b/ and /b as at the actor's id, varying on Accept", async () => {
    const actor = await get("/ap/boards/b", "application/activity+json");
    expect(actor.status).toBe(200);
    const expected = await actor.text();
    expect(JSON.parse(expected)).toMatchObject({ type: "Group", id: `${base}/ap/boards/b`, url: `${base}/b/` });
    for (const path of ["/b/", "/b"]) {
      for (const accept of ["application/activity+json", AS_PROFILE, `${AS_PROFILE}, text/html;q=0.5`]) {
        const res = await get(path, accept);
        expect(res.status, `${path} ${accept}`).toBe(200);
        expect(res.headers.get("content-type")).toBe(actor.headers.get("content-type"));
        expect(res.headers.get("vary")).toMatch(/\bAccept\b/);
        expect(await res.text()).toBe(expected);
      }
    }
  });

  it("keeps HTML the default, and leaves other paths and unknown boards alone", async () => {
    for (const accept of [undefined, "text/html,application/xhtml+xml", "text/html, application/activity+json"]) {
      const res = await get("/b/", accept);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("vary")).toMatch(/\bAccept\b/);
    }
    const about = await get("/about", "application/activity+json");
    expect(about.headers.get("content-type")).toMatch(/^text\/html/);
    expect((await get("/nope/", "application/activity+json")).status).toBe(404);
  });

  it("names the ActivityPub twin of every board and thread page in its head", async () => {
    const group = `${base}/ap/boards/b`;
    expect(new Urls(base, `${base}/media`).boardActor("b")).toBe(new FederationIds(base).board("b"));
    for (const path of ["/b/", "/b/catalog", "/b/archive"]) {
      const links = alternates(await (await get(path)).text());
      expect(links, path).toContainEqual({ type: "application/activity+json", href: group });
    }
    const links = alternates(await (await get(`/b/thread/${thread}`)).text());
    const note = links.find((l) => l.type === "application/activity+json");
    expect(note?.href).toBe(`${base}/b/thread/${thread}`);
    const doc = (await (await get(`/b/thread/${thread}`, "application/activity+json")).json()) as Record<
      string,
      unknown
    >;
    expect(doc).toMatchObject({ type: "Note", id: note?.href });
    // pages without a twin name none
    expect(alternates(await (await get("/about")).text())).toEqual([]);
  });

  it.skipIf(unavailable !== null)(
    `resolves the board page a person copies to the board's Group through Fedify${unavailable ? ` (skipped: ${unavailable})` : ""}`,
    async () => {
      const peer: FedifyPeer = await startFedifyPeer();
      try {
        for (const uri of [`${base}/b/`, `${base}/b`]) {
          const g = await peer.control<Lookup>("/control/lookup", { uri });
          expect(g, uri).toMatchObject({
            found: true,
            type: "Group",
            id: `${base}/ap/boards/b`,
            inbox: `${base}/ap/boards/b/inbox`,
          });
          expect(g.name).toContain("Random");
        }
      } finally {
        await peer.stop();
      }
    },
    120_000,
  );
});
