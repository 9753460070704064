import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import request from "supertest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { imageConcurrency } from "../../server/services/images.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";
import { waitFor } from "../support/loopback.js";
import { picture } from "../support/pictures.js";

vi.setConfig({ testTimeout: 120_000 });

const MB = 1024 * 1024;
/** Linux's idle scheduling class, as /proc reports a process's policy. */
const SCHED_IDLE = 5;
/** Whether a process exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function boardInstance(env: Record<string, string> = {}, listen = false): Promise<TestInstance> {
  const t = await startTestInstance(env, { listen });
  await t.services.boards.create({ uri: "b", title: "Pictures", settings: { maxFileSize: 16 * MB } });
  return t;
}

const upload = (t: TestInstance, file: Buffer, name = "photo.jpg") =>
  request(t.app).post("/api/v1/boards/b/threads").field("com", "a picture").attach("file", file, name);

describe("image workers", () => {
  const started: TestInstance[] = [];
  afterEach(async () => {
    for (const t of started.splice(0)) await t.stop();
  });

  it("start with the first uploads and end with the instance", async () => {
    const t = await boardInstance();
    expect(t.services.images.workers).toBe(0);
    const files = await Promise.all([1, 2, 3].map((n) => picture(n, 1200, 900)));
    const answers = await Promise.all(files.map((f) => upload(t, f)));
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201]);
    const pids = t.services.images.workerPids;
    expect(pids.length).toBeGreaterThanOrEqual(1);
    expect(pids.length).toBeLessThanOrEqual(imageConcurrency());
    expect(pids.filter(alive)).toEqual(pids);
    await t.stop();
    expect(t.services.images.workers).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  });

  it("run below the request thread: in the idle scheduling class where chrt can set it, else niced", async () => {
    const t = await boardInstance();
    started.push(t);
    expect((await upload(t, await makeJpeg(64, 48))).status).toBe(201);
    const [pid] = t.services.images.workerPids;
    expect(pid).toBeDefined();
    if (process.platform !== "linux") return;
    // /proc/<pid>/stat after the command name: nice is field 19, the scheduling policy field 41.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const idleClass = spawnSync("chrt", ["--idle", "0", "true"]).status === 0;
    if (idleClass) expect(Number(fields[38])).toBe(SCHED_IDLE);
    else expect(Number(fields[16])).toBeGreaterThanOrEqual(10);
  });

  it("answer 503 with Retry-After when every worker is busy and the waiting line is full", async () => {
    const t = await boardInstance({ IMAGE_QUEUE_LIMIT: "0" });
    started.push(t);
    // Large in pixels and small in bytes: each keeps a worker busy far longer than a request takes.
    const heavy = await makeJpeg(6000, 6000);
    const busy = Array.from({ length: imageConcurrency() }, () => upload(t, heavy, "heavy.jpg").then((r) => r));
    await waitFor(
      "every image worker to be busy",
      async () => t.services.images.pending === imageConcurrency(),
      60_000,
    );
    const refused = await upload(t, await makeJpeg(64, 48));
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toMatch(/^\d+$/);
    expect(refused.body.detail).toMatch(/try again/);
    const done = await Promise.all(busy);
    expect(done.map((r) => r.status)).toEqual(done.map(() => 201));
    // Once the workers are free, uploads are taken again.
    expect((await upload(t, await makeJpeg(64, 48))).status).toBe(201);
  });

  it("leave the request thread free to answer reads while uploads run", async () => {
    const t = await boardInstance({}, true);
    started.push(t);
    const photos = await Promise.all([0, 1, 2, 3].map((n) => picture(10 + n, 1920, 1080)));
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let uploading = true;
    const uploads = Promise.all(
      photos.map(async (photo) => {
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) statuses.push((await upload(t, photo, `p${i}.jpg`)).status);
        return statuses;
      }),
    ).finally(() => {
      uploading = false;
    });
    let readsDuringUploads = 0;
    while (uploading) {
      const res = await fetch(`${t.url}/livez`);
      await res.arrayBuffer();
      if (res.ok && uploading) readsDuringUploads++;
    }
    delay.disable();
    const statuses = (await uploads).flat();
    // A second upload of the same bytes is answered from the first: 201 either way.
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect(readsDuringUploads).toBeGreaterThan(0);
    // Only a loop blocked for seconds by image work could exceed this.
    expect(delay.max / 1e6).toBeLessThan(2000);
  });
});
