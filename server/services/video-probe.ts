import type { VideoType } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";

/** What a container may carry: the only container/codec pairs accepted. */
interface Family {
  /** ffprobe's name for the demuxer that must have opened the file. */
  format: string;
  /** `-format_whitelist`: the one demuxer the file may be opened with. */
  demuxers: string;
  video: readonly string[];
  audio: readonly string[];
  /** `-codec_whitelist`: the decoders that may run (ffmpeg's own names, dav1d for AV1). */
  decoders: string;
  /** The muxer the remuxed original is written with. */
  muxer: string;
  videoLabel: string;
  audioLabel: string;
}

export const FAMILIES: Readonly<Record<VideoType, Family>> = {
  "video/webm": {
    format: "matroska,webm",
    demuxers: "matroska,webm",
    video: ["vp8", "vp9", "av1"],
    audio: ["vorbis", "opus"],
    decoders: "vp8,vp9,libdav1d,vorbis,opus",
    muxer: "webm",
    videoLabel: "VP8, VP9 or AV1",
    audioLabel: "Vorbis or Opus",
  },
  "video/mp4": {
    format: "mov,mp4,m4a,3gp,3g2,mj2",
    demuxers: "mov,mp4,m4a,3gp,3g2,mj2",
    video: ["h264"],
    audio: ["aac"],
    decoders: "h264,aac",
    muxer: "mp4",
    videoLabel: "H.264",
    audioLabel: "AAC",
  },
};

export const VIDEO_NAMES: Readonly<Record<VideoType, string>> = { "video/webm": "WebM", "video/mp4": "MP4" };

const ascii = (s: string): Buffer => Buffer.from(s, "latin1");
const EBML = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);
/** The EBML DocType element: its id, then a one-byte size, then the name. */
const DOCTYPE_ID = Buffer.from([0x42, 0x82]);

/**
 * The video type the file's first bytes name, or null. A Matroska file counts only when its header
 * says `webm` or `matroska` (the codecs decide later); an ISO media file is one whose first box is
 * `ftyp`. Names and client-sent types are never consulted.
 */
export function sniffVideoType(input: Buffer): VideoType | null {
  if (input.length >= 12 && input.subarray(4, 8).equals(ascii("ftyp"))) return "video/mp4";
  if (input.length >= 8 && input.subarray(0, 4).equals(EBML)) {
    const head = input.subarray(0, 64);
    const at = head.indexOf(DOCTYPE_ID);
    if (at < 0 || at + 3 > head.length) return null;
    const size = (head[at + 2] ?? 0) & 0x7f;
    const docType = head.subarray(at + 3, at + 3 + size).toString("latin1");
    return docType === "webm" || docType === "matroska" ? "video/webm" : null;
  }
  return null;
}

export interface ProbedVideo {
  width: number;
  height: number;
  /** Seconds. */
  duration: number;
  videoCodec: string;
  audio: boolean;
}

export interface VideoBounds {
  maxDuration: number;
  maxWidth: number;
  maxHeight: number;
}

interface ProbeStream {
  codec_type?: unknown;
  codec_name?: unknown;
  width?: unknown;
  height?: unknown;
  disposition?: { attached_pic?: unknown };
}

const refuse = (message: string) => new DomainError("unsupported_media", message);
const broken = () => new DomainError("unprocessable", "The video could not be read: it is damaged or truncated.");

/**
 * Checks ffprobe's JSON against the family the bytes claimed: the demuxer that opened it, exactly one
 * video stream of an allowed codec, at most one audio stream of an allowed codec, and the bounds.
 * Subtitle, data and attachment streams are dropped by the remux, so they are not refused here.
 */
export function checkProbe(json: string, type: VideoType, bounds: VideoBounds): ProbedVideo {
  let parsed: { streams?: unknown; format?: { format_name?: unknown; duration?: unknown } };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    throw broken();
  }
  const family = FAMILIES[type];
  const name = VIDEO_NAMES[type];
  if (parsed.format?.format_name !== family.format) throw refuse(`The file is not a ${name} video.`);
  const streams = (Array.isArray(parsed.streams) ? parsed.streams : []) as ProbeStream[];
  const videos = streams.filter((s) => s.codec_type === "video");
  const audios = streams.filter((s) => s.codec_type === "audio");
  if (videos.length === 0) throw refuse("The file has no video stream.");
  if (videos.length > 1) throw refuse("The video has more than one video stream.");
  if (audios.length > 1) throw refuse("The video has more than one audio stream.");
  const v = videos[0] as ProbeStream;
  const codec = String(v.codec_name ?? "unknown");
  if (!family.video.includes(codec)) {
    throw refuse(`${name} video must be ${family.videoLabel}, not ${codec.toUpperCase()}.`);
  }
  const a = audios[0];
  if (a && !family.audio.includes(String(a.codec_name))) {
    throw refuse(`${name} audio must be ${family.audioLabel}, not ${String(a.codec_name ?? "unknown").toUpperCase()}.`);
  }
  const width = Number(v.width);
  const height = Number(v.height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw broken();
  if (width > bounds.maxWidth || height > bounds.maxHeight) {
    throw new DomainError(
      "unprocessable",
      `The video is too large in pixels (${width}x${height}; at most ${bounds.maxWidth}x${bounds.maxHeight}).`,
    );
  }
  const duration = Number(parsed.format?.duration);
  if (!Number.isFinite(duration) || duration <= 0) throw broken();
  if (duration > bounds.maxDuration) {
    throw new DomainError(
      "unprocessable",
      `The video is too long (${Math.ceil(duration)} s; at most ${bounds.maxDuration} s here).`,
    );
  }
  return { width, height, duration, videoCodec: codec, audio: a !== undefined };
}
