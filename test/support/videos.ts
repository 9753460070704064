import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { locateFfmpeg } from "../../server/services/videos.js";

const run = promisify(execFile);

/** Why video tests cannot run here, or null when ffmpeg and ffprobe are present. */
export function ffmpegMissing(): string | null {
  return locateFfmpeg() ? null : "ffmpeg/ffprobe not found (install Debian's ffmpeg or set FFMPEG_PATH/FFPROBE_PATH)";
}

/** Whether this ffmpeg has an encoder (AV1 and HEVC encoders are optional builds). */
export async function hasEncoder(name: string): Promise<boolean> {
  const { stdout } = await run("ffmpeg", ["-hide_banner", "-encoders"], { maxBuffer: 4 * 1024 * 1024 });
  return new RegExp(`^ \\S+ ${name}\\s`, "m").test(stdout);
}

export interface MakeVideo {
  seconds: number;
  width: number;
  height: number;
  /** ffmpeg output args choosing the codecs, e.g. ["-c:v", "libvpx", "-c:a", "libvorbis"]. */
  codecs: readonly string[];
  ext: string;
  audio?: boolean;
  /** Extra output args (metadata and the like). */
  extra?: readonly string[];
  rate?: number;
}

/** A test video made now: ffmpeg's test pattern and a sine tone, encoded as asked. */
export async function makeVideo(v: MakeVideo): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "atoll-video-"));
  try {
    const out = join(dir, `v${v.ext}`);
    const inputs = ["-f", "lavfi", "-i", `testsrc=s=${v.width}x${v.height}:d=${v.seconds}:r=${v.rate ?? 15}`];
    if (v.audio !== false) inputs.push("-f", "lavfi", "-i", `sine=d=${v.seconds}`);
    await run("ffmpeg", ["-v", "error", "-y", ...inputs, ...v.codecs, ...(v.extra ?? []), out], {
      timeout: 120_000,
    });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const VP8_VORBIS = [
  "-c:v",
  "libvpx",
  "-deadline",
  "realtime",
  "-cpu-used",
  "8",
  "-b:v",
  "300k",
  "-c:a",
  "libvorbis",
];
export const VP9_OPUS = [
  "-c:v",
  "libvpx-vp9",
  "-deadline",
  "realtime",
  "-cpu-used",
  "8",
  "-b:v",
  "300k",
  "-c:a",
  "libopus",
];
export const AV1_OPUS = [
  "-c:v",
  "libaom-av1",
  "-usage",
  "realtime",
  "-cpu-used",
  "8",
  "-b:v",
  "200k",
  "-c:a",
  "libopus",
];
export const H264_AAC = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"];
