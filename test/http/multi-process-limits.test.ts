import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashIp } from "../../server/domain/ip.js";
import type { Store } from "../../server/domain/ports.js";
import { CaptchaService } from "../../server/services/captcha.js";
import { Secrets } from "../../server/services/secrets.js";
import { LIMIT_WINDOW_MS } from "../../server/services/shared-limits.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { FakePeer, postSigned } from "../support/fake-peer.js";
import { freePort } from "../support/fedify-peer.js";
import { AS } from "../support/inbox-scene.js";
import { waitFor } from "../support/loopback.js";
import { type Answer, type Call, requestFrom, waitReady } from "../support/processes.js";
import { runServer, SERVER_ENTRY, type ServerRun } from "../support/server-process.js";

/*
 * Two web processes and a delivery worker on one DATA_DIR, each on a loopback address of its own,
 * as the README's scaling section runs them: every protection one process enforces holds across all
 * three. Each case calls from a client address of its own, so their budgets do not mix. The test
 * reads the store through a connection of its own: the instance secret (to answer captchas as the
 * service does) and, where a case must wait for a process to share its counts, the shared counters.
 */

const TOKEN = "m".repeat(32);
const READS = 40;
const WRITES = 60;
const ADMIN = 20;
/** Inbox POSTs per signing domain in one ten-second slice (the setting is per minute: six slices). */
const INBOX = 10;
const INBOX_SLICE_MS = 10_000;

/** How a write to a path with nothing behind it is answered once let through. */
const notFound = (status: number) => status === 404;

describe.skipIf(!existsSync(SERVER_ENTRY))("limits across processes on one store (needs dist/: npm run build)", () => {
  let dataDir: string;
  let processes: ServerRun[] = [];
  let web1: string;
  let web2: string;
  let worker: string;
  let store: Store;
  let captcha: CaptchaService;
  let ipKey: string;
  let threadNo: number;

  const call = (from: string, base: string, path: string, c: Call = {}) => requestFrom(from, `${base}${path}`, c);
  const json = (body: unknown): Call => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  /** A challenge fetched from `base` by `from`, with its answer. */
  const solved = async (from: string, base: string) => {
    const res = await call(from, base, "/api/v1/captcha");
    const id = (res.json as { id: string }).id;
    return { captcha_id: id, captcha_answer: captcha.answerOf(id) ?? "" };
  };
  /** The shared count of `key` in the current window, as the store holds it. */
  const shared = async (key: string, windowMs = LIMIT_WINDOW_MS) =>
    (await store.limits.counters.totals([{ key, window: Date.now() - (Date.now() % windowMs) }]))[0] ?? 0;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-processes-"));
    const hosts = ["127.0.0.21", "127.0.0.22", "127.0.0.23"];
    const ports = await Promise.all(hosts.map((h) => freePort(h)));
    const urls = hosts.map((h, i) => `http://${h}:${ports[i]}`);
    const env = (i: number, role: string): Record<string, string> => ({
      DATA_DIR: dataDir,
      HOST: hosts[i]!,
      PORT: String(ports[i]),
      PUBLIC_URL: urls[0]!,
      ATOLL_ROLE: role,
      ADMIN_TOKEN: TOKEN,
      CAPTCHA: "on",
      RATE_LIMIT: "on",
      RATE_LIMIT_READS: String(READS),
      RATE_LIMIT_ADMIN: String(ADMIN),
      RATE_LIMIT_INBOX: String(INBOX * 6),
      RATE_LIMIT_INBOX_ACTOR: "6000",
      ALLOW_PRIVATE_ADDRESSES: "on",
      LOG_LEVEL: "warn",
    });
    // The first creates the database; the others open it.
    processes.push(runServer(env(0, "web")));
    await waitReady("127.0.0.2", `${urls[0]}/boards.json`);
    processes.push(runServer(env(1, "web")), runServer(env(2, "worker")));
    await Promise.all(urls.slice(1).map((u) => waitReady("127.0.0.2", `${u}/boards.json`)));
    [web1, web2, worker] = urls as [string, string, string];

    store = openSqliteStore(join(dataDir, "atoll.db"), { checkpoints: false });
    const secrets = await Secrets.load(store.settings);
    captcha = new CaptchaService(secrets.keyBytes("captcha"), Date.now, store.limits.tokens);
    ipKey = secrets.key("ip");

    const admin = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    const board = await call("127.0.0.3", web1, "/api/v1/admin/boards", {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ uri: "b", title: "Random", settings: { requireImageForThread: false } }),
    });
    expect(board.status).toBe(201);
    const op = await call(
      "127.0.0.3",
      web2,
      "/api/v1/boards/b/threads",
      json({ com: "op", ...(await solved("127.0.0.3", web2)) }),
    );
    expect(op.status).toBe(201);
    threadNo = (op.json as { no: number }).no;
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    const codes = await Promise.all(processes.map((p) => p.stop()));
    processes = [];
    await rm(dataDir, { recursive: true, force: true });
    expect(codes).toEqual(codes.map(() => 0));
  });

  /** Starts a case early in a window, so that its counts are not cut in two by the window turning. */
  const freshWindow = async () => {
    const left = LIMIT_WINDOW_MS - (Date.now() % LIMIT_WINDOW_MS);
    if (left < 20_000) await new Promise((r) => setTimeout(r, left + 50));
  };

  it("refuses on one web process a captcha solved on the other", async () => {
    const challenge = await solved("127.0.0.31", web1);
    const first = await call(
      "127.0.0.31",
      web1,
      `/api/v1/boards/b/threads/${threadNo}/replies`,
      json({ com: "one", ...challenge }),
    );
    expect(first.status).toBe(201);
    const replay = await call(
      "127.0.0.32",
      web2,
      `/api/v1/boards/b/threads/${threadNo}/replies`,
      json({ com: "two", ...challenge }),
    );
    expect(replay.status).toBe(400);
    expect((replay.json as { detail: string }).detail).toMatch(/already used/);
  });

  it("lets one of two replies sent at the same instant to both web processes through, and answers the other 429", async () => {
    for (const from of ["127.0.0.33", "127.0.0.34", "127.0.0.35"]) {
      const [a, b] = await Promise.all([solved(from, web1), solved(from, web2)]);
      const path = `/api/v1/boards/b/threads/${threadNo}/replies`;
      const answers = await Promise.all([
        call(from, web1, path, json({ com: `from ${from} on one`, ...a })),
        call(from, web2, path, json({ com: `from ${from} on two`, ...b })),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([201, 429]);
      const refused = answers.find((r) => r.status === 429)!;
      const retry = (refused.json as { retry_after: number }).retry_after;
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(10);
      expect(refused.headers["retry-after"]).toBe(String(retry));
    }
  });

  it("holds the write limit across all three processes", async () => {
    await freshWindow();
    const from = "127.0.0.40";
    const statuses: number[] = [];
    for (let i = 0; i <= WRITES; i++) {
      const base = [web1, web2, worker][i % 3]!;
      statuses.push((await call(from, base, "/api/v1/nothing-here", json({}))).status);
    }
    expect(statuses.slice(0, WRITES).every(notFound)).toBe(true);
    expect(statuses[WRITES]).toBe(429);
  });

  it("holds the read limit across processes, each learning the others' counts as they share them", async () => {
    await freshWindow();
    const from = "127.0.0.41";
    const key = `r:${hashIp(from, ipKey)}`;
    const read = (base: string) => call(from, base, "/boards.json").then((r: Answer) => r.status);
    const on1: number[] = [];
    for (let i = 0; i < 30; i++) on1.push(await read(web1));
    expect(on1.every((s) => s === 200)).toBe(true);
    await waitFor("the first process to share its reads", async () => (await shared(key)) === 30, 10_000);
    // The second has not seen this address yet: it lets a read through, shares it and learns the total.
    expect(await read(web2)).toBe(200);
    await waitFor("the second process to share its read", async () => (await shared(key)) === 31, 10_000);
    const on2: number[] = [];
    for (let i = 0; i < READS - 31 + 1; i++) on2.push(await read(web2));
    expect(on2).toEqual([...Array<number>(READS - 31).fill(200), 429]);
    // The first, past half the budget, reads the total at its next flush and refuses too.
    await waitFor("the first process to refuse", async () => (await read(web1)) === 429, 10_000);
    // Well under what two per-process budgets would have let through.
    expect(await shared(key)).toBeLessThan(2 * READS);
  });

  it("keeps the admin API's budget apart from writers' and readers', both ways", async () => {
    await freshWindow();
    const admin = { authorization: `Bearer ${TOKEN}` };
    const writer = "127.0.0.42";
    for (let i = 0; i < WRITES; i++) await call(writer, [web1, web2][i % 2]!, "/api/v1/nothing-here", json({}));
    expect((await call(writer, web2, "/api/v1/nothing-here", json({}))).status).toBe(429);
    expect((await call(writer, web1, "/api/v1/admin/boards", { headers: admin })).status).toBe(200);

    const tool = "127.0.0.43";
    const answers: number[] = [];
    for (let i = 0; i <= ADMIN; i++) {
      answers.push((await call(tool, [web1, web2, worker][i % 3]!, "/api/v1/admin/boards", { headers: admin })).status);
    }
    expect(answers).toEqual([...Array<number>(ADMIN).fill(200), 429]);
    expect(notFound((await call(tool, web2, "/api/v1/nothing-here", json({}))).status)).toBe(true);
    expect((await call(tool, web1, "/boards.json")).status).toBe(200);
  });

  it("throttles sign-in attempts for one name and address across processes", async () => {
    const from = "127.0.0.44";
    const form = await call(from, web1, "/admin");
    const cookie = String(form.headers["set-cookie"]?.find((c) => c.startsWith("atoll_login="))?.split(";")[0]);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? "";
    const attempt = (base: string) =>
      call(from, base, "/admin/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie },
        body: new URLSearchParams({ csrf, username: "admin", password: "wrong" }).toString(),
      }).then((r) => r.status);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push(await attempt([web1, web2][i % 2]!));
    expect(statuses).toEqual([...Array<number>(10).fill(403), 429]);
  });

  it("holds the inbound limit per signing domain across processes", async () => {
    const peer = await FakePeer.start("127.0.0.45");
    try {
      const alice = peer.actor("alice");
      const domain = "127.0.0.45";
      let seq = 0;
      // Verified deliveries (a Like: taken and ignored) are what spends the budget.
      const deliver = async (base: string) => {
        const like = { "@context": AS, id: `${alice.id}/likes/${++seq}`, type: "Like", actor: alice.id, object: web1 };
        return postSigned(`${base}/ap/inbox`, like, alice);
      };
      // A forged request naming the domain's key: refused once the budget is spent, never counted.
      const forged = (base: string) =>
        call("127.0.0.46", base, "/ap/inbox", {
          method: "POST",
          headers: {
            "content-type": "application/activity+json",
            signature: `keyId="${alice.keyId}",headers="date",signature="AAAA"`,
          },
          body: JSON.stringify({ type: "Create", actor: alice.id }),
        });
      // A fresh slice of the inbox budget, with most of it left to run the test in.
      const left = INBOX_SLICE_MS - (Date.now() % INBOX_SLICE_MS);
      if (left < 8_000) await new Promise((r) => setTimeout(r, left + 50));
      const first: number[] = [];
      for (let i = 0; i < 6; i++) first.push((await deliver(web1)).status);
      expect(first.every((s) => s === 202)).toBe(true);
      for (let i = 0; i < 5; i++) expect((await forged(web2)).status).toBe(401);
      await waitFor(
        "the first process to share its inbox count",
        async () => (await shared(`in:${domain}`, INBOX_SLICE_MS)) === 6,
        10_000,
      );
      expect((await deliver(web2)).status).toBe(202);
      await waitFor(
        "the second process to share its inbox count",
        async () => (await shared(`in:${domain}`, INBOX_SLICE_MS)) === 7,
        10_000,
      );
      const more: number[] = [];
      for (let i = 0; i < INBOX - 7; i++) more.push((await deliver(web2)).status);
      expect(more.every((s) => s === 202)).toBe(true);
      const refused = await deliver(web2);
      expect(refused.status).toBe(429);
      expect(refused.type).toMatch(/^application\/problem\+json/);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect((await forged(web2)).status).toBe(429);
      // The worker, which had seen nothing from this domain, learns of its budget with the first
      // delivery it counts, and refuses too once it has shared that count.
      await waitFor("the worker to refuse", async () => (await deliver(worker)).status === 429, 10_000);
      expect((await forged(worker)).status).toBe(429);
      expect(await shared(`in:${domain}`, INBOX_SLICE_MS)).toBeLessThan(2 * INBOX);
    } finally {
      await peer.close();
    }
  });
});
