import { createRestAPIClient, MastoHttpError } from "masto";
import megalodon, { detector, Mastodon } from "megalodon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newFile, newPost } from "../contract/factories.js";
import { follow } from "../contract/federation-factories.js";
import type { TestInstance } from "../support/instance.js";
import { startLoopbackInstance } from "../support/loopback.js";

/*
 * Atoll driven by real Mastodon client libraries over real HTTP: masto.js (JSON bodies, its typed
 * errors, its Link paginator) and megalodon (server detection, JSON and multipart bodies).
 */

const TOKEN = "m".repeat(32);
/** megalodon's generator: its package is CommonJS for Node and an ES module for bundlers (vitest takes that). */
const generator = ((megalodon as unknown as { default?: unknown }).default ?? megalodon) as typeof megalodon.default;
const DAY = 86_400_000;

/** What a megalodon call that failed carries: axios' error with the answer. */
interface AxiosFailure {
  response?: { status: number; data: { error?: string } };
}

async function failureOf(work: Promise<unknown>): Promise<{ status: number; error: string | undefined }> {
  try {
    await work;
  } catch (err) {
    const res = (err as AxiosFailure).response;
    if (res) return { status: res.status, error: res.data.error };
    throw err;
  }
  throw new Error("the call succeeded");
}

async function mastoFailure(work: Promise<unknown>): Promise<MastoHttpError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof MastoHttpError) return err;
    throw err;
  }
  throw new Error("the call succeeded");
}

describe("Mastodon client libraries", () => {
  let t: TestInstance;
  let host: string;
  const masto = () => createRestAPIClient({ url: t.url, accessToken: TOKEN });
  const raw = () => new Mastodon(t.url, TOKEN).client;

  beforeAll(async () => {
    t = await startLoopbackInstance("127.0.0.1", TOKEN, {
      INSTANCE_NAME: "Atoll test",
      INSTANCE_DESCRIPTION: "Boards for testing",
    });
    host = new URL(t.url).host;
    await t.services.boards.create({ uri: "b", title: "Random" });
  });
  afterAll(() => t.stop());

  it("opens a session: both instance shapes, and megalodon detects a Mastodon-compatible server", async () => {
    const v1 = await masto().v1.instance.fetch();
    expect(v1).toMatchObject({
      uri: host,
      title: "Atoll test",
      shortDescription: "Boards for testing",
      email: "",
      registrations: false,
      approvalRequired: false,
      stats: { userCount: 1, domainCount: 0 },
      contactAccount: null,
      rules: [],
    });
    expect(v1.version).toMatch(/^4\.\d+\.\d+ \(compatible; Atoll \d+\.\d+\.\d+/);
    expect(v1.configuration.statuses.maxCharacters).toBe(4000);
    expect(v1.configuration.mediaAttachments.supportedMimeTypes).toContain("image/png");

    const v2 = await masto().v2.instance.fetch();
    expect(v2).toMatchObject({
      domain: host,
      title: "Atoll test",
      description: "Boards for testing",
      usage: { users: { activeMonth: 1 } },
      registrations: { enabled: false, approvalRequired: false },
      contact: { email: "", account: null },
      rules: [],
    });
    expect(v2.configuration.translation.enabled).toBe(false);
    expect(v2.thumbnail.url).toMatch(/^http:\/\//);

    const res = await fetch(`${t.url}/api/v2/instance`, { headers: { Origin: "https://client.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");

    expect(await detector(t.url)).toBe("mastodon");
    const nodeinfo = (await (await fetch(`${t.url}/nodeinfo/2.1`)).json()) as { software: { name: string } };
    expect(nodeinfo.software.name).toBe("atoll");
    const client = generator("mastodon", t.url, TOKEN);
    const instance = await client.getInstance();
    expect(instance.data).toMatchObject({ uri: host, title: "Atoll test", registrations: false });
  });

  it("creates, pages, updates and deletes domain blocks with masto.js, strings round-tripped", async () => {
    const admin = masto().v1.admin;
    const created = await admin.domainBlocks.create({
      domain: "one.example",
      severity: "silence",
      publicComment: "",
      privateComment: "",
    });
    expect(created).toMatchObject({
      domain: "one.example",
      severity: "silence",
      publicComment: "",
      privateComment: "",
    });
    await admin.domainBlocks.create({ domain: "two.example", severity: "suspend", publicComment: "spam" });
    await admin.domainBlocks.create({ domain: "three.example", severity: "suspend", rejectMedia: true });

    const pages: string[][] = [];
    for await (const page of admin.domainBlocks.list({ limit: 2 })) pages.push(page.map((b) => b.domain));
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(pages.flat().sort()).toEqual(["one.example", "three.example", "two.example"]);

    const updated = await admin.domainBlocks.$select(created.id).update({ severity: "suspend", publicComment: "x" });
    expect(updated).toMatchObject({ id: created.id, severity: "suspend", publicComment: "x", privateComment: "" });
    expect((await admin.domainBlocks.$select(created.id).fetch()).publicComment).toBe("x");

    const duplicate = await mastoFailure(admin.domainBlocks.create({ domain: "two.example", severity: "suspend" }));
    expect(duplicate.statusCode).toBe(422);
    expect(duplicate.message).toMatch(/two\.example is already blocked/);

    await admin.domainBlocks.$select(created.id).remove();
    const gone = await mastoFailure(admin.domainBlocks.$select(created.id).fetch());
    expect(gone.statusCode).toBe(404);
    expect(gone.message).toMatch(/domain block/i);
  });

  it("creates and deletes domain allows with masto.js", async () => {
    const admin = masto().v1.admin;
    const allow = await admin.domainAllows.create({ domain: "friends.example" });
    expect(allow).toMatchObject({ domain: "friends.example" });
    expect((await admin.domainAllows.list()).map((a) => a.domain)).toContain("friends.example");
    await admin.domainAllows.$select(allow.id).remove();
    expect((await admin.domainAllows.list()).map((a) => a.domain)).not.toContain("friends.example");
  });

  it("surfaces 401 and 404 as masto.js's typed error with the status and the message", async () => {
    const stranger = createRestAPIClient({ url: t.url, accessToken: "z".repeat(32) });
    const unauthorized = await mastoFailure(stranger.v1.admin.domainBlocks.list().values().next());
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.message).toMatch(/bearer token is not valid/);
    const missing = await mastoFailure(masto().v1.accounts.$select("1").fetch());
    expect(missing.statusCode).toBe(404);
    expect(missing.message).toMatch(/nothing at this address/);
    for (const [method, path] of [
      ["POST", "/api/v1/apps"],
      ["GET", "/api/v2/search?q=x"],
      ["GET", "/api/v1/"],
      ["PUT", "/api/v1/admin/domain_blocks"],
    ] as const) {
      const res = await fetch(`${t.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        ...(method === "GET" ? {} : { body: '{"client_name":"x"}' }),
      });
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toBe("application/json; charset=utf-8");
      expect(((await res.json()) as { error: string }).error, path).toEqual(expect.any(String));
    }
    const asked = await fetch(`${t.url}/api/v1/admin/domain_blocks`, {
      headers: { Accept: "application/problem+json" },
    });
    expect(asked.status).toBe(401);
    expect(asked.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  });

  it("takes megalodon's JSON and multipart bodies alike, PATCH as PUT, and refuses what it cannot read", async () => {
    const client = raw();
    const made = await client.postForm<{ id: string; reject_media: boolean; public_comment: string }>(
      "/api/v1/admin/domain_blocks",
      // Form values are text: Rails' "1" is true.
      { domain: "form.example", severity: "suspend", reject_media: "1", public_comment: "" },
    );
    expect(made.data).toMatchObject({ reject_media: true, public_comment: "" });
    const id = made.data.id;

    const put = await client.putForm<{ severity: string; private_comment: string }>(
      `/api/v1/admin/domain_blocks/${id}`,
      { severity: "silence", private_comment: "multipart" },
    );
    expect(put.data).toMatchObject({ severity: "silence", private_comment: "multipart" });
    const patch = await client.patch<{ reject_media: boolean }>(`/api/v1/admin/domain_blocks/${id}`, {
      reject_media: false,
    });
    expect(patch.data.reject_media).toBe(false);
    const stored = await t.services.defederation.getBlock(id);
    expect(stored).toMatchObject({ severity: "silence", privateComment: "multipart", rejectMedia: false });

    const urlencoded = await fetch(`${t.url}/api/v1/admin/domain_blocks/${id}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: "obfuscate=on&public_comment=",
    });
    expect(urlencoded.status).toBe(200);
    expect(await urlencoded.json()).toMatchObject({ obfuscate: true, public_comment: "" });

    const duplicate = await failureOf(client.postForm("/api/v1/admin/domain_blocks", { domain: "form.example" }));
    expect(duplicate).toEqual({ status: 422, error: expect.stringMatching(/already blocked/) });
    const empty = await failureOf(client.putForm(`/api/v1/admin/domain_blocks/${id}`, {}));
    expect(empty.status).toBe(400);
    const text = await fetch(`${t.url}/api/v1/admin/domain_blocks/${id}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "text/plain" },
      body: "severity=suspend",
    });
    expect(text.status).toBe(415);
    expect((await t.services.defederation.getBlock(id)).severity).toBe("silence");
    const board = await client.putForm<{ title: string; settings: { bumpLimit: number; sfw: boolean } }>(
      "/api/v1/admin/boards/b",
      { title: "Random things", settings: { bumpLimit: "250", sfw: "true" } },
    );
    expect(board.data).toMatchObject({ title: "Random things", settings: { bumpLimit: 250, sfw: true } });
  });

  it("answers the domain measures as Mastodon does, to masto.js's JSON and megalodon's form", async () => {
    const now = Date.now();
    const today = Math.floor(now / DAY) * DAY;
    const peer = "peer.example";
    const follows = t.services.store.federation.follows;
    await follows.add(follow({ actorId: `https://${peer}/users/a`, domain: peer, createdAt: today + 1000 }));
    await follows.add(follow({ actorId: `https://${peer}/users/b`, domain: peer, createdAt: today - DAY }));
    await follows.add(follow({ actorId: `https://${peer}/users/c`, domain: peer, state: "pending" }));
    await follows.add(
      follow({
        id: `${t.url}/ap/boards/b#follows/1`,
        actorId: `${t.url}/ap/boards/b`,
        objectId: `https://${peer}/groups/news`,
        direction: "outbound",
        domain: peer,
        createdAt: today - DAY,
      }),
    );
    const author = `https://sub.${peer}/users/z`;
    for (const size of [1000, 2500])
      await t.services.store.posts.createThread(
        "b",
        newPost({
          fediActor: author,
          apId: `${author}/notes/${size}`,
          ipHash: null,
          file: newFile({ size }),
          createdAt: now,
        }),
        { maxThreads: 100 },
      );

    const end = new Date(today + 3600_000).toISOString();
    const start = new Date(today - DAY).toISOString();
    const measures = await masto().v1.admin.measures.create({
      keys: ["instance_follows", "new_users", "instance_followers", "instance_statuses", "instance_media_attachments"],
      startAt: start,
      endAt: end,
      instanceFollows: { domain: peer },
      instanceFollowers: { domain: peer },
      instanceStatuses: { domain: `sub.${peer}` },
      instanceMediaAttachments: { domain: `sub.${peer}` },
    });
    expect(measures.map((m) => m.key)).toEqual([
      "instance_follows",
      "instance_followers",
      "instance_statuses",
      "instance_media_attachments",
    ]);
    const [following, followers, statuses, media] = measures;
    expect(following).toMatchObject({ total: "1" });
    expect(following?.data).toEqual([
      { date: `${new Date(today - DAY).toISOString().slice(0, 10)}T00:00:00.000+00:00`, value: "1" },
      { date: `${new Date(today).toISOString().slice(0, 10)}T00:00:00.000+00:00`, value: "0" },
    ]);
    expect(followers).toMatchObject({ total: "2" });
    expect(followers?.data.map((d) => d.value)).toEqual(["1", "1"]);
    expect(statuses).toMatchObject({ total: "2" });
    expect(media).toMatchObject({ unit: "bytes", total: "3500", humanValue: expect.any(String) });
    expect(media?.data.map((d) => d.value)).toEqual(["0", "3500"]);

    // megalodon's form: keys[]=… and instance_statuses[domain]=…, with subdomains asked for.
    const form = await raw().postForm<Array<{ key: string; total: string; data: unknown[] }>>(
      "/api/v1/admin/measures",
      {
        keys: ["instance_statuses"],
        instance_statuses: { domain: peer, include_subdomains: "true" },
      },
    );
    expect(form.data).toEqual([{ key: "instance_statuses", unit: null, total: "2", data: [] }]);
    const exact = await raw().post<Array<{ total: string }>>("/api/v1/admin/measures", {
      keys: ["instance_statuses"],
      instance_statuses: { domain: peer },
    });
    expect(exact.data[0]?.total).toBe("0");

    const missing = await failureOf(raw().post("/api/v1/admin/measures", { keys: ["instance_follows"] }));
    expect(missing).toEqual({ status: 400, error: expect.stringMatching(/instance_follows/) });
    const anonymous = await fetch(`${t.url}/api/v1/admin/measures`, { method: "POST" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });
});
