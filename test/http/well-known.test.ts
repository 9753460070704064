import { readFileSync } from "node:fs";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FederationIds } from "../../federation/ids.js";
import { parseResource } from "../../federation/routes/well-known.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/** The version package.json states, which NodeInfo reports. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
}

describe("WebFinger, host-meta and NodeInfo", () => {
  let t: TestInstance;

  beforeAll(async () => {
    t = await startTestInstance({
      PUBLIC_URL: "https://boards.example:8443",
      INSTANCE_NAME: "Lagoon <Chan>",
      INSTANCE_DESCRIPTION: "Boards about boats & harbours.",
    });
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    await t.services.posting.createThread({ board: "b", comment: "hello", ip: "192.0.2.1" });
  });
  afterAll(() => t.stop());

  it("finds a board by acct:board@host, with the port in the host", async () => {
    const res = await request(t.app).get("/.well-known/webfinger").query({ resource: "acct:b@boards.example:8443" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/jrd\+json/);
    expect(res.body.subject).toBe("acct:b@boards.example:8443");
    expect(res.body.links).toContainEqual({
      rel: "self",
      type: "application/activity+json",
      href: "https://boards.example:8443/ap/boards/b",
    });
    expect(res.body.links).toContainEqual({
      rel: "http://webfinger.net/rel/profile-page",
      type: "text/html",
      href: "https://boards.example:8443/b/",
    });
  });

  it("accepts the other spellings of a board's account and the instance actor", async () => {
    for (const resource of [
      "acct:B@BOARDS.EXAMPLE:8443",
      "@b@boards.example:8443",
      "https://boards.example:8443/ap/boards/b",
    ]) {
      const res = await request(t.app).get("/.well-known/webfinger").query({ resource });
      expect(res.status, resource).toBe(200);
    }
    const inst = await request(t.app)
      .get("/.well-known/webfinger")
      .query({ resource: "acct:boards.example:8443@boards.example:8443" });
    expect(inst.body.links[0].href).toBe("https://boards.example:8443/ap/actor");
  });

  it("answers 404 for unknown boards and other hosts, 400 without a resource", async () => {
    expect(
      (await request(t.app).get("/.well-known/webfinger").query({ resource: "acct:nope@boards.example:8443" })).status,
    ).toBe(404);
    expect(
      (await request(t.app).get("/.well-known/webfinger").query({ resource: "acct:b@elsewhere.example" })).status,
    ).toBe(404);
    const bad = await request(t.app).get("/.well-known/webfinger");
    expect(bad.status).toBe(400);
    expect(bad.headers["content-type"]).toMatch(/problem\+json/);
    expect(JSON.parse(bad.text)).toMatchObject({
      type: "urn:atoll:problem:invalid",
      title: "Bad request",
      status: 400,
    });
    const unknown = await request(t.app)
      .get("/.well-known/webfinger")
      .query({ resource: "acct:nope@boards.example:8443" });
    expect(JSON.parse(unknown.text)).toMatchObject({ type: "urn:atoll:problem:not-found", status: 404 });
  });

  it("parses resources without being fooled by look-alike hosts", () => {
    const ids = new FederationIds("https://boards.example");
    expect(parseResource("acct:b@boards.example", ids)).toEqual({ kind: "board", uri: "b" });
    expect(parseResource("acct:b@boards.example.evil.com", ids)).toBeNull();
    expect(parseResource("acct:b@evil.com@boards.example", ids)).toBeNull();
    expect(parseResource("https://boards.example/ap/boards/b/inbox", ids)).toBeNull();
    expect(parseResource("https://boards.example/ap/actor", ids)).toEqual({ kind: "instance" });
  });

  it("serves host-meta and NodeInfo 2.1 with boards and post counts", async () => {
    const hm = await request(t.app).get("/.well-known/host-meta");
    expect(hm.text).toContain('template="https://boards.example:8443/.well-known/webfinger?resource={uri}"');
    const wk = await request(t.app).get("/.well-known/nodeinfo");
    expect(wk.body.links[0]).toEqual({
      rel: "http://nodeinfo.diaspora.software/ns/schema/2.1",
      href: "https://boards.example:8443/nodeinfo/2.1",
    });
    const ni = await request(t.app).get("/nodeinfo/2.1");
    expect(ni.status).toBe(200);
    expect(ni.body).toMatchObject({
      version: "2.1",
      software: { name: "atoll", version: packageVersion() },
      protocols: ["activitypub"],
      openRegistrations: false,
      usage: { users: { total: 1 }, localPosts: 1 },
      metadata: {
        nodeName: "Lagoon <Chan>",
        nodeDescription: "Boards about boats & harbours.",
        boards: [{ uri: "b", title: "Random", actor: "https://boards.example:8443/ap/boards/b" }],
      },
    });
  });

  it("shows the instance's name and description on its pages, as text", async () => {
    const home = await request(t.app).get("/");
    expect(home.status).toBe(200);
    expect(home.text).toContain("<h1>Lagoon &lt;Chan&gt;</h1>");
    expect(home.text).toContain("Boards about boats &amp; harbours.");
    expect(home.text).not.toContain("<Chan>");
    const board = await request(t.app).get("/b/");
    expect(board.text).toMatch(/<title>[^<]* - Lagoon &lt;Chan&gt;<\/title>/);
  });
});
