import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminApi, auth, sha256, startDomainAdminInstance, TOKEN } from "../support/domain-admin.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/* The public list of limited servers: the JSON API Mastodon tools read, and /about/moderation. */

describe("domain moderation admin API", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startDomainAdminInstance();
  });

  afterEach(async () => {
    await instance.stop();
  });

  const { api, block } = adminApi(() => instance);

  it("publishes the public list with digests and obfuscation, with CORS", async () => {
    await block({ domain: "open.example", severity: "suspend", public_comment: "spam" });
    await block({ domain: "hidden-name.example", severity: "silence", obfuscate: true });
    await block({ domain: "flags-only.example", severity: "noop", reject_media: true });
    const res = await request(instance.app).get("/api/v1/instance/domain_blocks");
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    const masked = res.body.find((b: { digest: string }) => b.digest === sha256("hidden-name.example"));
    expect(masked).toEqual({
      domain: expect.stringMatching(/^hid.*\*.*ple$/),
      digest: sha256("hidden-name.example"),
      severity: "silence",
      comment: "",
    });
    expect(masked.domain).not.toBe("hidden-name.example");
    expect(res.body).toContainEqual({
      domain: "open.example",
      digest: sha256("open.example"),
      severity: "suspend",
      comment: "spam",
    });
    expect(res.body).toHaveLength(2);

    // The list follows the rules as they change.
    const open = (await instance.services.defederation.listBlocks()).find((b) => b.domain === "open.example")!;
    await api().delete(`/api/v1/admin/domain_blocks/${open.id}`).set(auth);
    const after = await request(instance.app).get("/api/v1/instance/domain_blocks");
    expect(after.body.map((b: { domain: string }) => b.domain)).not.toContain("open.example");
    const preflight = await request(instance.app).options("/api/v1/instance/domain_blocks");
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("*");
  });

  it("lists the public rules on /about/moderation, and the allowed servers in allowlist mode", async () => {
    const empty = await request(instance.app).get("/about/moderation");
    expect(empty.status).toBe(200);
    expect(empty.text).toContain("does not limit any server");

    await block({ domain: "rude.example", severity: "suspend", public_comment: "Harassment <script>" });
    await block({ domain: "secret-place.example", severity: "silence", obfuscate: true });
    const page = await request(instance.app).get("/about/moderation");
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="servers"');
    expect(page.text).toContain("<code");
    expect(page.text).toContain("rude.example");
    expect(page.text).toContain("Harassment &lt;script&gt;");
    expect(page.text).not.toContain("secret-place.example");
    expect(page.text).toContain(sha256("secret-place.example"));

    const allow = await startTestInstance({ ADMIN_TOKEN: TOKEN, FEDERATION_MODE: "allowlist" });
    try {
      await request(allow.app).post("/api/v1/admin/domain_allows").set(auth).send({ domain: "pal.example" });
      const text = (await request(allow.app).get("/about/moderation")).text;
      expect(text).toContain("only with the servers listed here");
      expect(text).toContain("pal.example");
    } finally {
      await allow.stop();
    }
  });
});
