import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Logger } from "./logger.js";
import { locateFfmpeg, VideoProcessor } from "./videos.js";

/**
 * The server's video processor, or null (videos refused, saying why) when ffmpeg or ffprobe is
 * missing. Says at start how untrusted video is confined on this machine.
 */
export function videoProcessorFor(
  dataDir: string,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): VideoProcessor | null {
  const bins = locateFfmpeg(env);
  if (!bins) {
    logger.warn(
      "video uploads are off: ffmpeg/ffprobe not found (install ffmpeg, or set FFMPEG_PATH and FFPROBE_PATH)",
    );
    return null;
  }
  const videos = new VideoProcessor({
    ...bins,
    workDir: join(dataDir, "video-work"),
    // One video at a time per spare core: a decode is heavier than an image and runs outside libuv.
    concurrency: Math.max(1, Math.floor(availableParallelism() / 2)),
    queueLimit: 8,
    timeoutMs: 60_000,
    memoryBytes: 1024 * 1024 * 1024,
    maxWidth: 4096,
    maxHeight: 4096,
  });
  const { prlimit, unshare } = videos.sandbox;
  const missing = [prlimit ? null : "memory/CPU limit (prlimit)", unshare ? null : "network namespace (unshare)"];
  const gaps = missing.filter((m) => m !== null);
  if (gaps.length > 0) logger.warn("video processing runs without some confinement", { missing: gaps });
  else logger.debug("video processing confined", { ffmpeg: bins.ffmpeg });
  return videos;
}
