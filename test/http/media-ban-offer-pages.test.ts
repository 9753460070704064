import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ACTOR } from "../../server/services/staff.js";
import { csrfOf, signIn } from "../support/admin-session.js";
import type { TestInstance } from "../support/instance.js";
import { call, startLoopbackInstance } from "../support/loopback.js";

/*
 * The staff pages for who may fetch this instance's media-ban list (peer domains, tokens) and for
 * the audit trail of bans and lists: admins only, CSRF-checked, bad input answered with a page.
 */

const PASSWORD = "correct horse battery";
const ADMIN_TOKEN = "o".repeat(32);
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const BANNED = "d".repeat(64);
const OFFERS = "/admin/media-bans/offers";
const AUDIT = "/admin/media-bans/audit";
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

describe("pages for offering the media-ban list and its audit trail", () => {
  let A: TestInstance;
  let B: TestInstance;
  let bHost: string;

  beforeAll(async () => {
    [A, B] = await Promise.all([
      startLoopbackInstance("127.0.0.157", ADMIN_TOKEN),
      startLoopbackInstance("127.0.0.158", ADMIN_TOKEN),
    ]);
    bHost = new URL(B.url).hostname;
    await A.services.boards.create({ uri: "b", title: "B" });
    await A.services.staff.createUser("boss", PASSWORD, "admin", []);
    await A.services.staff.setPublicName(API_ACTOR, "boss", "Hash Warden");
    await A.services.staff.createUser("mod", PASSWORD, "global_mod", []);
  });

  afterAll(async () => {
    await Promise.all([A.stop(), B.stop()]);
  });

  const listUrl = () => `${A.url}/api/v1/media_bans/list?format=sha256`;

  it("lets an admin grant a domain and mint a token that opens the list, then revoke both", async () => {
    const { agent } = await signIn(A.app, "boss", PASSWORD);
    const bans = await agent.get("/admin/media-bans");
    expect(bans.text).toContain(`href="${OFFERS}"`);
    const csrf = csrfOf(bans.text);
    await agent
      .post("/admin/media-bans")
      .type("form")
      .send({ csrf, back: "/admin/media-bans", kind: "sha256", hash: BANNED, reason: "known bad" })
      .expect(303);

    const page = await agent.get(OFFERS);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`${A.url}/api/v1/media_bans/list?format=atoll`);
    expect(page.text).toContain("No domain may fetch the list.");

    const granted = await agent.post(`${OFFERS}/peers`).type("form").send({ csrf, back: OFFERS, domain: bHost });
    expect(granted.status).toBe(303);
    expect(granted.headers["location"]).toBe(`${OFFERS}?ok=list_peer_granted`);
    const withGrant = await agent.get(`${OFFERS}?ok=list_peer_granted`);
    expect(withGrant.text).toContain(`<code>${bHost}</code>`);
    expect(withGrant.text).toContain('boss <span class="admin-muted">(Hash Warden)</span>');
    // B's instance actor, now granted, fetches the list signed.
    const sub = await call(B.url, "POST", "/api/v1/admin/media_ban_lists", { url: listUrl(), format: "sha256" }, auth);
    expect(sub.json).toMatchObject({ last_status: "ok", last_change: { added: 1, removed: 0 } });

    const minted = await agent.post(`${OFFERS}/tokens`).type("form").send({ csrf, back: OFFERS, label: "partner" });
    expect(minted.status).toBe(200);
    expect(minted.text).toContain("shown only this once");
    const token = /atl_[A-Za-z0-9_-]+/.exec(minted.text)?.[0] ?? "";
    expect(token.length).toBeGreaterThan(20);
    const ok = await fetch(listUrl(), { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(`${BANNED}\n`);

    const later = await agent.get(OFFERS);
    expect(later.text).not.toContain(token);
    expect(later.text).toContain("partner");
    expect(later.text).toContain(`<code>${sha256(token).slice(0, 12)}</code>`);
    const [record] = await A.services.store.mediaBanLists.tokens();
    const revoked = await agent
      .post(`${OFFERS}/tokens/${record?.id ?? ""}/revoke`)
      .type("form")
      .send({ csrf, back: OFFERS });
    expect(revoked.headers["location"]).toBe(`${OFFERS}?ok=list_token_revoked`);
    expect((await fetch(listUrl(), { headers: { Authorization: `Bearer ${token}` } })).status).toBe(403);

    await agent.post(`${OFFERS}/peers/revoke`).type("form").send({ csrf, back: OFFERS, domain: bHost }).expect(303);
    expect(await A.services.store.mediaBanLists.grants()).toEqual([]);
    const id = (sub.json as { id: string }).id;
    expect((await call(B.url, "POST", `/api/v1/admin/media_ban_lists/${id}/sync`, undefined, auth)).status).toBe(422);
  });

  it("answers bad input with a readable page and changes nothing", async () => {
    const { agent } = await signIn(A.app, "boss", PASSWORD);
    const csrf = csrfOf((await agent.get(OFFERS)).text);
    const badDomain = await agent
      .post(`${OFFERS}/peers`)
      .type("form")
      .send({ csrf, back: OFFERS, domain: "not a domain!" });
    expect(badDomain.status).toBe(400);
    expect(badDomain.headers["content-type"]).toMatch(/text\/html/);
    expect(badDomain.text).toContain("is not a domain name");
    expect(await A.services.store.mediaBanLists.grants()).toEqual([]);

    const noLabel = await agent.post(`${OFFERS}/tokens`).type("form").send({ csrf, back: OFFERS, label: " " });
    expect(noLabel.status).toBe(400);
    expect(noLabel.text).toContain("who the token is for");
    const unknown = await agent.post(`${OFFERS}/tokens/nope/revoke`).type("form").send({ csrf, back: OFFERS });
    expect(unknown.status).toBe(404);
    const notGranted = await agent
      .post(`${OFFERS}/peers/revoke`)
      .type("form")
      .send({ csrf, back: OFFERS, domain: "never.example" });
    expect(notGranted.status).toBe(404);
    expect((await agent.get(`${AUDIT}?page=zero`)).status).toBe(400);
  });

  it("refuses a form without its CSRF token", async () => {
    const { agent } = await signIn(A.app, "boss", PASSWORD);
    const before = (await A.services.store.mediaBanLists.tokens()).length;
    const grant = await agent.post(`${OFFERS}/peers`).type("form").send({ back: OFFERS, domain: "peer.example" });
    expect(grant.status).toBe(403);
    expect(grant.text).toContain("This form has expired");
    const mint = await agent.post(`${OFFERS}/tokens`).type("form").send({ csrf: "forged", back: OFFERS, label: "x" });
    expect(mint.status).toBe(403);
    expect(await A.services.store.mediaBanLists.grants()).toEqual([]);
    expect((await A.services.store.mediaBanLists.tokens()).length).toBe(before);
  });

  it("keeps moderators who are not admins out of both pages", async () => {
    const { agent } = await signIn(A.app, "mod", PASSWORD);
    const bans = await agent.get("/admin/media-bans");
    expect(bans.status).toBe(200);
    expect(bans.text).not.toContain(OFFERS);
    const csrf = csrfOf(bans.text);
    expect((await agent.get(OFFERS)).status).toBe(403);
    expect((await agent.get(AUDIT)).status).toBe(403);
    const grant = await agent.post(`${OFFERS}/peers`).type("form").send({ csrf, back: OFFERS, domain: "peer.example" });
    expect(grant.status).toBe(403);
    const mint = await agent.post(`${OFFERS}/tokens`).type("form").send({ csrf, back: OFFERS, label: "mine" });
    expect(mint.status).toBe(403);
    expect(mint.text).not.toContain("atl_");
    expect(await A.services.store.mediaBanLists.grants()).toEqual([]);
  });

  it("lists bans, grants and tokens in the audit trail, newest first, without secrets, a page at a time", async () => {
    const { agent } = await signIn(A.app, "boss", PASSWORD);
    const csrf = csrfOf((await agent.get(OFFERS)).text);
    const minted = await agent.post(`${OFFERS}/tokens`).type("form").send({ csrf, back: OFFERS, label: "audited" });
    const token = /atl_[A-Za-z0-9_-]+/.exec(minted.text)?.[0] ?? "";
    const [ban] = await A.services.store.mediaBans.list();
    await agent
      .post(`/admin/media-bans/${ban?.id ?? ""}/lift`)
      .type("form")
      .send({ csrf, back: "/admin/media-bans" })
      .expect(303);

    // A subscribes on its page to B's list, with a token B minted.
    await call(B.url, "POST", "/api/v1/admin/media_bans", { sha256: "f".repeat(64) }, auth);
    const bToken = await call(B.url, "POST", "/api/v1/admin/media_ban_list_tokens", { label: "A" }, auth);
    const bList = `${B.url}/api/v1/media_bans/list?format=sha256`;
    await agent
      .post("/admin/media-bans/lists")
      .type("form")
      .send({
        csrf,
        back: "/admin/media-bans",
        url: bList,
        format: "sha256",
        token: (bToken.json as { token: string }).token,
      })
      .expect(303);

    const trail = await agent.get(AUDIT);
    expect(trail.status).toBe(200);
    const t = trail.text;
    expect(t).not.toContain(token);
    for (const words of ["Media ban placed", "Media ban lifted", "Peer granted", "Peer revoked", "Token created"]) {
      expect(t).toContain(words);
    }
    expect(t).toContain(`<code>${BANNED}</code> · known bad`);
    expect(t).toContain("(Hash Warden)");
    expect(t).toContain("partner");
    expect(t.indexOf("Media ban lifted")).toBeLessThan(t.indexOf("Token revoked"));
    expect(t.indexOf("Token revoked")).toBeLessThan(t.indexOf("Peer granted"));
    expect(t.indexOf("Peer granted")).toBeLessThan(t.indexOf("Media ban placed"));
    expect(t).not.toContain("Older entries");
    expect(t).toContain("List subscribed");
    expect(t).toContain(`<td>List synced</td>`);
    expect(t).toContain("+1 −0");
    expect(t).toContain(`<code>${bList.replace("&", "&amp;")}</code>`);

    for (let i = 0; i < 50; i++) {
      await A.services.mediaBans.create(API_ACTOR, { sha256: i.toString(16).padStart(64, "e") });
    }
    const first = await agent.get(AUDIT);
    expect(first.text).toContain(`href="${AUDIT}?page=2"`);
    expect(first.text).not.toContain("Peer granted");
    expect(first.text).toContain("admin API");
    const second = await agent.get(`${AUDIT}?page=2`);
    expect(second.text).toContain("Peer granted");
    expect(second.text).toContain(`<code>${BANNED}</code> · known bad`);
    expect(second.text).not.toContain("Older entries");
  });
});
