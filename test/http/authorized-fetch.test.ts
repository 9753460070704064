import { request as httpRequest } from "node:http";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../federation/http/signatures.js";
import { CLI } from "../support/enforcement-scene.js";
import { type FakeActor, FakePeer } from "../support/fake-peer.js";
import { freePort } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/* Authorized fetch: ActivityPub reads need a signature, and none from a suspended domain is taken. */

/** A GET asking for ActivityPub JSON, signed by `signer` (unsigned with null), over real HTTP. */
function getSigned(url: string, signer: FakeActor | null): Promise<{ status: number; type: string; body: string }> {
  const target = new URL(url);
  const headers: Record<string, string> = { accept: "application/activity+json" };
  if (signer) {
    const signed = signRequest({
      method: "GET",
      url: target,
      headers: {},
      keyId: signer.keyId,
      privateKeyPem: signer.privateKeyPem,
    });
    for (const [k, v] of Object.entries(signed)) headers[k.toLowerCase()] = v;
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("authorized fetch", () => {
  let t: TestInstance;
  let good: FakePeer;
  let evil: FakePeer;
  let alice: FakeActor;
  let eve: FakeActor;
  let op: number;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestInstance(
      {
        ALLOW_PRIVATE_ADDRESSES: "on",
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        PORT: String(port),
        AUTHORIZED_FETCH: "on",
      },
      { listen: true },
    );
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    op = (await t.services.posting.createThread({ board: "b", comment: "signed readers only", ip: "192.0.2.1" })).no;
    good = await FakePeer.start("127.0.0.2");
    evil = await FakePeer.start("127.0.0.3");
    alice = good.actor("alice");
    eve = evil.actor("eve");
    await t.services.defederation.createBlock({ domain: "127.0.0.3", severity: "suspend" }, CLI);
  });
  afterAll(async () => {
    await t?.stop();
    await good?.close();
    await evil?.close();
  });

  const paths = () => [
    "/ap/boards/b",
    "/ap/boards/b/outbox",
    "/ap/boards/b/followers?page=true",
    "/ap/anonymous",
    `/b/thread/${op}`,
  ];

  it("answers unsigned ActivityPub GETs with 401 problem+json", async () => {
    for (const path of paths()) {
      const res = await getSigned(`${t.url}${path}`, null);
      expect(res.status, path).toBe(401);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body), path).toMatchObject({ type: "urn:atoll:problem:unauthorized", status: 401 });
    }
  });

  it("serves signed ones, fetching the signer's key once", async () => {
    for (const path of paths()) {
      const res = await getSigned(`${t.url}${path}`, alice);
      expect(res.status, path).toBe(200);
      expect(res.type).toMatch(/activity\+json/);
    }
    expect(good.fetched.filter((p) => p === "/users/alice")).toHaveLength(1);
  });

  it("refuses a signer on a suspended domain with 403, without fetching its key", async () => {
    const res = await getSigned(`${t.url}/ap/boards/b`, eve);
    expect(res.status).toBe(403);
    expect(res.type).toMatch(/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ type: "urn:atoll:problem:forbidden", status: 403 });
    expect(evil.fetched).toEqual([]);
  });

  it("keeps the instance actor, WebFinger, NodeInfo, the context and HTML pages open", async () => {
    expect((await getSigned(`${t.url}/ap/actor`, null)).status).toBe(200);
    expect((await request(t.app).get("/.well-known/nodeinfo")).status).toBe(200);
    expect((await request(t.app).get("/ns/atoll.jsonld")).status).toBe(200);
    const host = new URL(t.url).host;
    expect((await request(t.app).get(`/.well-known/webfinger?resource=acct:b@${host}`)).status).toBe(200);
    expect((await request(t.app).get(`/b/thread/${op}`).set("accept", "text/html")).status).toBe(200);
  });
});
