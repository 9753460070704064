/**
 * The video part of `npm run bench`: a 5 s 640×360 VP9 WebM through the confined video processor
 * (probe, remux, thumbnail: three child processes), against the image processor's 1920×1080 JPEG
 * in the same run, both at the server's own parallelism.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MEDIA_TYPES } from "../../server/domain/board.js";
import { ImageProcessor, imageConcurrency } from "../../server/services/images.js";
import { createLogger } from "../../server/services/logger.js";
import { videoProcessorFor } from "../../server/services/video-setup.js";
import { makeVideo, VP9_OPUS } from "../support/videos.js";
import { photo } from "./images.js";
import type { Row } from "./row.js";

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

/** Rows for videos/s and images/s, or a note saying why videos were not measured. */
export async function videoBench(rows: Row[], notes: string[]): Promise<void> {
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
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
