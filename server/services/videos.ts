import { spawnSync } from "node:child_process";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { abandoned, localHost, tempName } from "../../storage/media/temp-files.js";
import { isVideoType, type MediaType, type VideoType } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import { EXT_BY_TYPE, type MediaExt } from "../domain/post.js";
import { formatSize } from "../domain/sizes.js";
import { BoundedQueue } from "./bounded-queue.js";
import { detectSandbox, type RunResult, runSandboxed, type SandboxPlan } from "./sandboxed-run.js";
import { checkProbe, FAMILIES, sniffVideoType, VIDEO_NAMES } from "./video-probe.js";

export interface ProcessedVideo {
  /** The upload remuxed (no re-encode) with its metadata, chapters and extra streams removed. */
  original: Buffer;
  /** A JPEG of an early frame. */
  thumb: Buffer;
  mime: VideoType;
  ext: MediaExt;
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  /** Seconds. */
  duration: number;
}

export interface VideoProcessorOptions {
  ffmpeg: string;
  ffprobe: string;
  /** Where each job gets a private directory for its input and outputs. */
  workDir: string;
  concurrency: number;
  queueLimit: number;
  /** Wall-clock limit per child process. */
  timeoutMs: number;
  /** Address-space limit per child process, in bytes. */
  memoryBytes: number;
  maxWidth: number;
  maxHeight: number;
  /** Confinement to use; detected on this machine when absent. */
  sandbox?: SandboxPlan;
}

export interface VideoProcessOptions {
  allowedTypes: readonly MediaType[];
  maxFileSize: number;
  /** Seconds. */
  maxDuration: number;
  op: boolean;
}

const OP_THUMB = 250;
const REPLY_THUMB = 125;
const THUMB_QUALITY = 85;

const broken = () => new DomainError("unprocessable", "The video could not be read: it is damaged or truncated.");

/** The ffmpeg and ffprobe to use: FFMPEG_PATH / FFPROBE_PATH, else those on PATH; null when either is missing. */
export function locateFfmpeg(env: NodeJS.ProcessEnv = process.env): { ffmpeg: string; ffprobe: string } | null {
  const ffmpeg = env["FFMPEG_PATH"] || "ffmpeg";
  const ffprobe = env["FFPROBE_PATH"] || "ffprobe";
  const runs = (bin: string) => {
    try {
      return spawnSync(bin, ["-version"], { stdio: "ignore", timeout: 10_000 }).status === 0;
    } catch {
      return false;
    }
  };
  return runs(ffmpeg) && runs(ffprobe) ? { ffmpeg, ffprobe } : null;
}

/**
 * Validates video uploads and turns them into a remuxed original and a JPEG thumbnail. Every look at
 * the untrusted bytes (probe, remux, frame decode) happens in a confined child process (see
 * sandboxed-run.ts) restricted to one demuxer, the family's decoders and the `file` protocol, with a
 * bounded number of jobs in flight. Each instance has its own queue.
 */
export class VideoProcessor {
  readonly #opts: VideoProcessorOptions;
  readonly #queue: BoundedQueue;
  /** Names of the job directories in use now. */
  readonly #live = new Set<string>();
  readonly sandbox: SandboxPlan;
  /** Pids of the children started, newest last (bounded): lets a test check none is left. */
  readonly recentPids: number[] = [];

  constructor(opts: VideoProcessorOptions) {
    this.#opts = opts;
    this.sandbox = opts.sandbox ?? detectSandbox();
    this.#queue = new BoundedQueue(
      opts.concurrency,
      opts.queueLimit,
      "Too many videos are being processed right now; try again in a moment.",
    );
  }

  /** Videos running or waiting. */
  get pending(): number {
    return this.#queue.pending;
  }

  /** Removes job directories whose process is gone (a crash mid-job leaves one). */
  async sweep(): Promise<void> {
    await mkdir(this.#opts.workDir, { recursive: true, mode: 0o700 });
    const self = { host: localHost(), pid: process.pid, writing: this.#live };
    for (const name of await readdir(this.#opts.workDir)) {
      const path = join(this.#opts.workDir, name);
      const age = Date.now() - (await stat(path)).mtimeMs;
      if (abandoned(name, age, self)) await rm(path, { recursive: true, force: true });
    }
  }

  /**
   * Refuses (DomainError) with "too_large", "unsupported_media" (not a video of an allowed type, or
   * the wrong codecs), "unprocessable" (damaged, too long, too large in pixels) or "busy".
   */
  async process(input: Buffer, opts: VideoProcessOptions): Promise<ProcessedVideo> {
    const type = this.#check(input, opts);
    return this.#queue.run(() => this.#transform(input, type, opts));
  }

  #check(input: Buffer, opts: VideoProcessOptions): VideoType {
    if (input.length === 0) throw new DomainError("unsupported_media", "The file is empty.");
    if (input.length > opts.maxFileSize) {
      throw new DomainError("too_large", `The file is larger than ${formatSize(opts.maxFileSize)}.`);
    }
    const type = sniffVideoType(input);
    if (type === null) throw new DomainError("unsupported_media", "The file is not a WebM or MP4 video.");
    if (!opts.allowedTypes.includes(type)) {
      const allowed = opts.allowedTypes.filter(isVideoType).map((t) => VIDEO_NAMES[t]);
      throw new DomainError(
        "unsupported_media",
        allowed.length
          ? `${VIDEO_NAMES[type]} videos are not accepted here (accepted: ${allowed.join(", ")}).`
          : "Videos are not accepted on this board.",
      );
    }
    return type;
  }

  async #run(args: readonly string[], maxOutputBytes: number, cmd = this.#opts.ffmpeg): Promise<RunResult> {
    const limits = { timeoutMs: this.#opts.timeoutMs, memoryBytes: this.#opts.memoryBytes, maxOutputBytes };
    const r = await runSandboxed(this.sandbox, limits, cmd, args);
    if (r.pid !== undefined) {
      this.recentPids.push(r.pid);
      if (this.recentPids.length > 64) this.recentPids.shift();
    }
    if (r.timedOut) throw new DomainError("unprocessable", "The video took too long to process.");
    return r;
  }

  async #transform(input: Buffer, type: VideoType, opts: VideoProcessOptions): Promise<ProcessedVideo> {
    await mkdir(this.#opts.workDir, { recursive: true, mode: 0o700 });
    const name = tempName();
    const dir = join(this.#opts.workDir, name);
    this.#live.add(name);
    await mkdir(dir, { mode: 0o700 });
    try {
      const family = FAMILIES[type];
      const source = join(dir, "in");
      await writeFile(source, input, { mode: 0o600 });
      // Only the one demuxer the bytes claimed, only the family's decoders, only local files.
      const guard = [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        family.demuxers,
        "-codec_whitelist",
        family.decoders,
      ];
      const probe = await this.#run(
        [
          "-v",
          "error",
          ...guard,
          "-show_entries",
          "format=format_name,duration:stream=codec_type,codec_name,width,height",
          "-of",
          "json",
          source,
        ],
        1024 * 1024,
        this.#opts.ffprobe,
      );
      if (probe.code !== 0) {
        // A codec outside the family stops the probe before it is decoded: name it in the refusal.
        const codec = /Codec \(([\w-]+)\) not on whitelist/.exec(probe.stderr)?.[1];
        if (codec) {
          throw new DomainError(
            "unsupported_media",
            `${VIDEO_NAMES[type]} video must be ${family.videoLabel} with ${family.audioLabel} audio, not ${codec.toUpperCase()}.`,
          );
        }
        if (/not on whitelist/.test(probe.stderr)) {
          throw new DomainError("unsupported_media", `The file is not a ${VIDEO_NAMES[type]} video.`);
        }
        throw broken();
      }
      const info = checkProbe(probe.stdout.toString("utf8"), type, {
        maxDuration: opts.maxDuration,
        maxWidth: this.#opts.maxWidth,
        maxHeight: this.#opts.maxHeight,
      });

      const remuxed = join(dir, `out${EXT_BY_TYPE[type]}`);
      // Stream copy: no re-encode. Global, stream and chapter metadata go; for H.264 the SEI units
      // (encoder settings and the like) go too; bitexact keeps the muxer from writing its own tags.
      const remux = await this.#run(
        [
          "-nostdin",
          "-v",
          "error",
          ...guard,
          "-i",
          source,
          "-map",
          "0:v:0",
          "-map",
          "0:a:0?",
          "-c",
          "copy",
          ...(info.videoCodec === "h264" ? ["-bsf:v", "filter_units=remove_types=6"] : []),
          "-map_metadata",
          "-1",
          "-map_chapters",
          "-1",
          "-fflags",
          "+bitexact",
          "-flags",
          "+bitexact",
          ...(type === "video/mp4" ? ["-movflags", "+faststart"] : []),
          "-f",
          family.muxer,
          "-y",
          remuxed,
        ],
        64 * 1024,
      );
      if (remux.code !== 0) throw broken();

      // An early frame, not the first (often black): a tenth of the way in, at most one second.
      const at = Math.min(1, info.duration / 10).toFixed(3);
      const box = opts.op ? OP_THUMB : REPLY_THUMB;
      const frame = await this.#run(
        [
          "-nostdin",
          "-v",
          "error",
          "-threads",
          "1",
          ...guard,
          "-ss",
          at,
          "-i",
          source,
          "-map",
          "0:v:0",
          "-frames:v",
          "1",
          "-vf",
          `scale=${box}:${box}:force_original_aspect_ratio=decrease`,
          "-f",
          "image2pipe",
          "-c:v",
          "png",
          "-protocol_whitelist",
          "pipe",
          "pipe:1",
        ],
        8 * 1024 * 1024,
      );
      if (frame.code !== 0 || frame.stdout.length === 0) throw broken();
      const thumb = await sharp(frame.stdout, { failOn: "error" })
        .flatten({ background: "#ffffff" })
        .jpeg({ quality: THUMB_QUALITY, mozjpeg: false })
        .toBuffer({ resolveWithObject: true })
        .catch(() => {
          throw broken();
        });
      return {
        original: await readFile(remuxed),
        thumb: thumb.data,
        mime: type,
        ext: EXT_BY_TYPE[type],
        width: info.width,
        height: info.height,
        thumbWidth: thumb.info.width,
        thumbHeight: thumb.info.height,
        duration: info.duration,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
      this.#live.delete(name);
    }
  }
}
