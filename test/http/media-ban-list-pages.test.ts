import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import type { TestInstance } from "../support/instance.js";
import { startLoopbackInstance } from "../support/loopback.js";

/* The hash lists section of the Media bans page: subscribing, excluding, syncing, unsubscribing. */

const PASSWORD = "correct horse battery";
const A = "a".repeat(64);
const B = "b".repeat(64);

describe("hash list pages", () => {
  let instance: TestInstance;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    instance = await startLoopbackInstance("127.0.0.146", "q".repeat(32));
    await instance.services.boards.create({ uri: "b", title: "B" });
    await instance.services.staff.createUser("boss", PASSWORD, "admin", []);
    await instance.services.staff.createUser("helper", PASSWORD, "board_volunteer", ["b"]);
    server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(`${A}\n${B}\n`));
    server.listen(0, "127.0.0.145");
    await once(server, "listening");
    url = `http://127.0.0.145:${(server.address() as AddressInfo).port}/list.txt`;
  });

  afterAll(async () => {
    await instance.stop();
    server.close();
  });

  it("lets an admin subscribe, exclude a hash, sync and unsubscribe from the Media bans page", async () => {
    const { agent } = await signIn(instance.app, "boss", PASSWORD);
    const page = await agent.get("/admin/media-bans");
    expect(page.text).toContain("Subscribed hash lists");
    expect(page.text).toContain("No subscriptions.");
    const csrf = csrfOf(page.text);
    const back = "/admin/media-bans";

    const subscribed = await agent
      .post("/admin/media-bans/lists")
      .type("form")
      .send({ csrf, back, url, format: "sha256", token: "" });
    expect(subscribed.status).toBe(303);
    expect(subscribed.headers["location"]).toBe("/admin/media-bans?ok=list_subscribed");
    const [list] = await instance.services.store.mediaBanLists.list();
    expect(list).toMatchObject({ url, format: "sha256", token: null, lastStatus: "ok", createdBy: "boss" });
    const id = list?.id ?? "";
    const shown = await agent.get("/admin/media-bans");
    expect(shown.text).toContain(url);
    expect(shown.text).toContain("+2 −0");
    expect(shown.text).toContain(`list:${id}`);

    const excluded = await agent
      .post(`/admin/media-bans/lists/${id}/exclude`)
      .type("form")
      .send({ csrf, back, hash: A });
    expect(excluded.status).toBe(303);
    expect((await instance.services.store.mediaBans.list()).map((b) => b.hash)).toEqual([B]);
    await agent.post(`/admin/media-bans/lists/${id}/sync`).type("form").send({ csrf, back }).expect(303);
    expect((await instance.services.store.mediaBans.list()).map((b) => b.hash)).toEqual([B]);
    await agent.post(`/admin/media-bans/lists/${id}/include?hash=${A}`).type("form").send({ csrf, back }).expect(303);
    await agent.post(`/admin/media-bans/lists/${id}/sync`).type("form").send({ csrf, back }).expect(303);
    expect((await instance.services.store.mediaBans.list()).map((b) => b.hash).sort()).toEqual([A, B]);

    await agent.post(`/admin/media-bans/lists/${id}/delete`).type("form").send({ csrf, back }).expect(303);
    expect(await instance.services.store.mediaBanLists.list()).toEqual([]);
    expect(await instance.services.store.mediaBans.list()).toEqual([]);
  });

  it("keeps board staff out", async () => {
    const { agent } = await signIn(instance.app, "helper", PASSWORD);
    const page = await agent.get("/admin/media-bans");
    expect(page.status).toBe(403);
    const csrf = csrfOf((await agent.get("/admin")).text);
    const res = await agent
      .post("/admin/media-bans/lists")
      .type("form")
      .send({ csrf, back: "/admin", url, format: "sha256" });
    expect(res.status).toBe(403);
    expect(await instance.services.store.mediaBanLists.list()).toEqual([]);
  });
});
