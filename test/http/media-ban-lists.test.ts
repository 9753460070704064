import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pdqOfImage } from "../../server/services/media-hash.js";
import type { TestInstance } from "../support/instance.js";
import { startLoopbackInstance } from "../support/loopback.js";
import { picture } from "../support/pictures.js";

/* Subscriptions to hash lists served over loopback HTTP: syncs, retractions, failures, excludes, the audit trail. */

const TOKEN = "l".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const FILLER = "f".repeat(64);

interface ListServer {
  url: string;
  body: string;
  status: number;
  seen: IncomingHttpHeaders[];
  server: Server;
}

async function listServer(host: string): Promise<ListServer> {
  const state = { body: "", status: 200, seen: [] as IncomingHttpHeaders[] } as ListServer;
  state.server = createServer((req, res) => {
    state.seen.push(req.headers);
    res.writeHead(state.status, { "content-type": "text/plain" }).end(state.body);
  });
  state.server.listen(0, host);
  await once(state.server, "listening");
  state.url = `http://${host}:${(state.server.address() as AddressInfo).port}/list`;
  return state;
}

describe("hash list subscriptions", () => {
  let instance: TestInstance;
  let lists: ListServer;

  beforeAll(async () => {
    [instance, lists] = await Promise.all([startLoopbackInstance("127.0.0.141", TOKEN), listServer("127.0.0.140")]);
    await instance.services.boards.create({ uri: "b", title: "B" });
  });

  afterAll(async () => {
    await instance.stop();
    lists.server.close();
  });

  const api = () => request(instance.app);
  const upload = (file: Buffer) =>
    api().post("/api/v1/boards/b/threads").field("com", "x").attach("file", file, "a.jpg");

  it.each(["sha256", "pdq", "atoll"] as const)(
    "bans what a %s list adds from its first sync, and lifts it once retracted",
    async (format) => {
      const seed = { sha256: 31, pdq: 32, atoll: 33 }[format];
      const original = await picture(seed, 400, 300);
      // A PDQ list catches the picture resized and re-encoded, not only the same bytes.
      const copy =
        format === "pdq" ? await sharp(original).resize(300, 225).jpeg({ quality: 60 }).toBuffer() : original;
      const pdq = await pdqOfImage(original);
      const listed = {
        sha256: `${sha256(original)} known bad\n${FILLER} other\n`,
        pdq: `# a PDQ list\n${pdq?.hex},100\npdq ${FILLER} 20\n`,
        atoll: JSON.stringify({
          type: "atoll-media-ban-list",
          version: 1,
          entries: [
            { kind: "sha256", hash: sha256(original), reason: "known bad" },
            { kind: "pdq", hash: FILLER, distance: 10 },
          ],
        }),
      }[format];
      const retracted = {
        sha256: `${FILLER} other\n`,
        pdq: `pdq ${FILLER} 20\n`,
        atoll: JSON.stringify({
          type: "atoll-media-ban-list",
          version: 1,
          entries: [{ kind: "pdq", hash: FILLER, distance: 10 }],
          retractions: [{ kind: "sha256", hash: sha256(original) }],
        }),
      }[format];

      lists.body = listed;
      const sub = await api().post("/api/v1/admin/media_ban_lists").set(auth).send({ url: lists.url, format });
      expect(sub.status).toBe(201);
      expect(sub.body).toMatchObject({
        format,
        last_status: "ok",
        last_change: { added: 2, removed: 0 },
        has_token: false,
      });
      const bans = (await instance.services.store.mediaBans.list()).filter((b) => b.source === `list:${sub.body.id}`);
      expect(bans).toHaveLength(2);

      const refused = await upload(copy);
      expect(refused.status).toBe(403);
      expect(refused.body.detail).toBe("This file is not allowed here.");

      lists.body = retracted;
      const synced = await api().post(`/api/v1/admin/media_ban_lists/${sub.body.id}/sync`).set(auth);
      expect(synced.body).toEqual({ added: 0, removed: 1, skipped: 0 });
      expect((await upload(copy)).status).toBe(201);

      expect((await api().delete(`/api/v1/admin/media_ban_lists/${sub.body.id}`).set(auth)).status).toBe(204);
      expect(
        (await instance.services.store.mediaBans.list()).filter((b) => b.source === `list:${sub.body.id}`),
      ).toEqual([]);
    },
  );

  it("keeps a list's entries through failed and empty fetches, honours excludes, and audits every step", async () => {
    const file = await picture(34, 400, 300);
    const hash = sha256(file);
    lists.body = `${hash}\n${FILLER}\n`;
    lists.status = 200;
    const sub = await api()
      .post("/api/v1/admin/media_ban_lists")
      .set(auth)
      .send({ url: lists.url, format: "sha256", token: "s3cret" });
    expect(sub.status).toBe(201);
    expect(lists.seen.at(-1)?.authorization).toBe("Bearer s3cret");
    expect(JSON.stringify(sub.body)).not.toContain("s3cret");
    const id = sub.body.id as string;
    const sync = () => api().post(`/api/v1/admin/media_ban_lists/${id}/sync`).set(auth);

    lists.status = 500;
    const failed = await sync();
    expect(failed.status).toBe(422);
    lists.status = 200;
    lists.body = "# nothing here today\n";
    expect((await sync()).status).toBe(422);
    const status = await api().get(`/api/v1/admin/media_ban_lists/${id}`).set(auth);
    expect(status.body.last_status).toMatch(/^error: .*empty/);
    expect((await upload(file)).status).toBe(403);

    lists.body = `${hash}\n${FILLER}\nnot a hash\n`;
    const excluded = await api().post(`/api/v1/admin/media_ban_lists/${id}/excludes`).set(auth).send({ hash });
    expect(excluded.body.excludes).toEqual([hash]);
    expect((await upload(file)).status).toBe(201);
    expect((await sync()).body).toEqual({ added: 0, removed: 0, skipped: 1 });
    expect((await upload(file)).status).toBe(201);

    await api().delete(`/api/v1/admin/media_ban_lists/${id}/excludes/${hash}`).set(auth).expect(200);
    expect((await sync()).body).toMatchObject({ added: 1, removed: 0 });
    expect((await upload(file)).status).toBe(403);

    await api().delete(`/api/v1/admin/media_ban_lists/${id}`).set(auth).expect(204);
    expect((await upload(file)).status).toBe(201);

    const trail = await api().get("/api/v1/admin/media_ban_lists/audit").set(auth);
    const mine = (
      trail.body as Array<{ list_id: string; action: string; actor: string; detail: Record<string, unknown> }>
    )
      .filter((e) => e.list_id === id)
      .reverse();
    expect(mine.map((e) => e.action)).toEqual([
      "list.create",
      "list.sync",
      "list.sync_failed",
      "list.sync_failed",
      "list.exclude",
      "list.sync",
      "list.include",
      "list.sync",
      "list.delete",
    ]);
    expect(mine[1]?.detail).toMatchObject({
      added: 2,
      removed: 0,
      added_hashes: expect.arrayContaining([`sha256 ${hash}`]),
    });
    expect(mine[4]?.detail).toEqual({ hash, removed: 1 });
    expect(mine[8]?.detail).toMatchObject({ removed: 2 });
    expect(mine.every((e) => e.actor === "api")).toBe(true);
  });

  it("syncs on schedule the lists that are due, and only those", async () => {
    const id = "scheduled";
    await instance.services.store.mediaBanLists.create({
      id,
      url: lists.url,
      format: "sha256",
      token: null,
      excludes: [],
      createdAt: 0,
      createdBy: "api",
      lastSyncAt: null,
      lastStatus: null,
      lastChange: null,
    });
    lists.status = 200;
    lists.body = `${FILLER}\n`;
    const before = lists.seen.length;
    const service = instance.services.mediaBanLists;
    expect(service).toBeDefined();
    await service?.syncDue();
    expect(lists.seen.length).toBe(before + 1);
    expect(await instance.services.store.mediaBanLists.get(id)).toMatchObject({
      lastStatus: "ok",
      lastChange: { added: 1, removed: 0 },
    });
    await service?.syncDue();
    expect(lists.seen.length).toBe(before + 1);
    const trail = await instance.services.store.mediaBanLists.audit(5);
    expect(trail.find((e) => e.listId === id)).toMatchObject({ action: "list.sync", actor: "system" });
    await request(instance.app).delete(`/api/v1/admin/media_ban_lists/${id}`).set(auth).expect(204);
  });

  it("refuses what is not a list subscription", async () => {
    const cases: Array<[unknown, string]> = [
      [{ url: "ftp://x.example/list", format: "sha256" }, "https"],
      [{ url: "https://x.example/list", format: "csv" }, "format"],
      [{ url: "https://u:p@x.example/list", format: "pdq" }, "credentials"],
      [{ url: "https://x.example/list", format: "pdq", token: "has space" }, "token"],
      [{ url: "https://x.example/list", format: "pdq", colour: 1 }, "colour"],
    ];
    for (const [body, message] of cases) {
      const res = await api()
        .post("/api/v1/admin/media_ban_lists")
        .set(auth)
        .send(body as object);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toContain(message);
    }
    expect((await api().get("/api/v1/admin/media_ban_lists")).status).toBe(401);
    expect((await api().delete("/api/v1/admin/media_ban_lists/nope").set(auth)).status).toBe(404);
  });
});
