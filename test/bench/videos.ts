/**
 * The video part of `npm run bench`: a 5 s 640×360 VP9 WebM through the confined video processor
 * (probe, remux, thumbnail: three child processes), against the image processor's 1920×1080 JPEG
 * in the same run, both at the server's own parallelism; then the same WebM posted as replies over
 * HTTP to the bench server, against the processor alone.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { MEDIA_TYPES } from "../../server/domain/board.js";
import { ImageProcessor, imageConcurrency } from "../../server/services/images.js";
import { createLogger } from "../../server/services/logger.js";
import { videoProcessorFor } from "../../server/services/video-setup.js";
import { makeVideo, VP9_OPUS } from "../support/videos.js";
import { photo } from "./images.js";
import type { Row } from "./row.js";

const run = promisify(execFile);

async function throughput(jobs: number, parallel: number, job: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next++ < jobs) await job();
    }),
  );
  return jobs / ((performance.now() - start) / 1000);
}

/** `count` byte-different copies of a WebM: the same streams remuxed under a different title. */
async function uniqueCopies(clip: Buffer, dir: string, count: number): Promise<Buffer[]> {
  const source = join(dir, "source.webm");
  await writeFile(source, clip);
  const copies: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const out = join(dir, `copy${i}.webm`);
    await run("ffmpeg", ["-v", "error", "-y", "-i", source, "-c", "copy", "-metadata", `title=bench ${i}`, out]);
    copies.push(await readFile(out));
  }
  return copies;
}

/** Rows for videos/s and images/s, or a note saying why videos were not measured. */
export async function videoBench(rows: Row[], notes: string[], server: { url: string; thread: number }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "atoll-bench-video-"));
  try {
    const videos = videoProcessorFor(dir, createLogger("warn"));
    if (!videos) {
      notes.push("videos: not measured, ffmpeg/ffprobe not found");
      return;
    }
    const clip = await makeVideo({ seconds: 5, width: 640, height: 360, codecs: VP9_OPUS, ext: ".webm", rate: 25 });
    const jpeg = await photo();
    const images = new ImageProcessor({ maxPixels: 40_000_000, concurrency: imageConcurrency(), queueLimit: 64 });
    const opts = { allowedTypes: MEDIA_TYPES, maxFileSize: 64 * 1024 * 1024, maxDuration: 300, op: false };
    const imageRate = await throughput(24, imageConcurrency(), () => images.process(jpeg, opts));
    const videoRate = await throughput(12, 2, () => videos.process(clip, opts));
    rows.push({
      name: "image processing, 1920×1080 JPEG",
      value: imageRate,
      unit: "images/s",
      baseline: null,
      ratio: null,
      target: null,
    });
    rows.push({
      name: "video processing, 5 s 640×360 VP9 WebM (vs JPEG)",
      value: videoRate,
      unit: "videos/s",
      baseline: imageRate,
      ratio: videoRate / imageRate,
      target: null,
    });
    // Twelve different uploads of the one clip (remuxed with a title), as the server keeps a file it
    // has seen by its digest and would not process the same bytes again.
    const uploads = await uniqueCopies(clip, dir, 12);
    let posted = 0;
    const postRate = await throughput(uploads.length, 2, async () => {
      const n = posted++;
      const form = new FormData();
      form.set("com", `benchmark video ${n}`);
      form.set("file", new Blob([new Uint8Array(uploads[n]!)], { type: "video/webm" }), "clip.webm");
      const res = await fetch(`${server.url}/api/v1/boards/v/threads/${server.thread}/replies`, {
        method: "POST",
        body: form,
      });
      if (res.status !== 201) throw new Error(`video posting: ${res.status} ${await res.text()}`);
    });
    rows.push({
      name: "posting with a 5 s WebM over HTTP (vs processing alone)",
      value: postRate,
      unit: "posts/s",
      baseline: videoRate,
      ratio: postRate / videoRate,
      target: null,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
