import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEDIA_TYPES } from "../../server/domain/board.js";
import { isDomainError } from "../../server/domain/errors.js";
import { runSandboxed } from "../../server/services/sandboxed-run.js";
import { sniffVideoType } from "../../server/services/video-probe.js";
import { locateFfmpeg, type VideoProcessOptions, VideoProcessor } from "../../server/services/videos.js";
import { AV1_OPUS, ffmpegMissing, H264_AAC, hasEncoder, makeVideo, VP8_VORBIS, VP9_OPUS } from "../support/videos.js";

const missing = ffmpegMissing();
const MB = 1024 * 1024;
const ALL: VideoProcessOptions = { allowedTypes: MEDIA_TYPES, maxFileSize: 16 * MB, maxDuration: 300, op: true };
const SECRET = [
  "-metadata",
  "title=SECRET-TITLE",
  "-metadata",
  "location=+48.8584+002.2945/",
  "-metadata",
  "comment=GPS 48.8584",
];

/** Whether a process runs (a zombie awaiting its reaper has finished and does not count). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** The running members of a process group, read from /proc. */
function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return fields[0] !== "Z" && Number(fields[2]) === pgid ? [Number(d)] : [];
      } catch {
        return [];
      }
    });
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isDomainError(err)) return { code: err.kind, message: err.message };
    throw err;
  }
  throw new Error("expected a refusal");
}

describe.skipIf(missing !== null)(`video processing${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let workDir: string;
  let videos: VideoProcessor;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "atoll-video-work-"));
    const bins = locateFfmpeg();
    if (!bins) throw new Error("unreachable: skipped without ffmpeg");
    videos = new VideoProcessor({
      ...bins,
      workDir,
      concurrency: 2,
      queueLimit: 8,
      timeoutMs: 30_000,
      memoryBytes: 1024 * MB,
      maxWidth: 4096,
      maxHeight: 4096,
    });
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  /** Every child the processor started has exited and every job directory is gone. */
  async function nothingLeft(): Promise<void> {
    expect(videos.recentPids.length).toBeGreaterThan(0);
    expect(videos.recentPids.filter(alive)).toEqual([]);
    expect(await readdir(workDir)).toEqual([]);
  }

  const cases = [
    { name: "VP8 + Vorbis WebM", codecs: VP8_VORBIS, ext: ".webm", mime: "video/webm", encoder: "libvpx" },
    { name: "VP9 + Opus WebM", codecs: VP9_OPUS, ext: ".webm", mime: "video/webm", encoder: "libvpx-vp9" },
    { name: "AV1 + Opus WebM", codecs: AV1_OPUS, ext: ".webm", mime: "video/webm", encoder: "libaom-av1" },
    { name: "H.264 + AAC MP4", codecs: H264_AAC, ext: ".mp4", mime: "video/mp4", encoder: "libx264" },
  ] as const;

  for (const c of cases) {
    it(`accepts ${c.name} with its dimensions and duration, and strips its metadata`, async () => {
      if (!(await hasEncoder(c.encoder))) {
        expect(c.encoder).toBe("libaom-av1"); // only the optional AV1 encoder may be absent
        return;
      }
      const input = await makeVideo({
        seconds: 2,
        width: 320,
        height: 180,
        codecs: c.codecs,
        ext: c.ext,
        extra: SECRET,
      });
      expect(input.includes("SECRET-TITLE")).toBe(true);
      const out = await videos.process(input, ALL);
      expect(out.mime).toBe(c.mime);
      expect(out.ext).toBe(c.ext);
      expect([out.width, out.height]).toEqual([320, 180]);
      expect(out.duration).toBeGreaterThan(1.9);
      expect(out.duration).toBeLessThan(2.2);
      expect(out.original.includes("SECRET")).toBe(false);
      expect(out.original.includes("48.8584")).toBe(false);
      expect(out.original.includes("x264 - core")).toBe(false);
      expect(sniffVideoType(out.original)).toBe(c.mime);
      const thumb = await sharp(out.thumb).metadata();
      expect(thumb.format).toBe("jpeg");
      expect([thumb.width, thumb.height]).toEqual([250, 141]);
      expect([out.thumbWidth, out.thumbHeight]).toEqual([250, 141]);
      // The remuxed file is itself accepted again, unchanged in shape.
      const again = await videos.process(out.original, { ...ALL, op: false });
      expect([again.width, again.height, again.thumbWidth]).toEqual([320, 180, 125]);
      await nothingLeft();
    });
  }

  it("refuses a truncated video with a 4xx code and leaves no process", async () => {
    const whole = await makeVideo({ seconds: 2, width: 320, height: 180, codecs: VP8_VORBIS, ext: ".webm" });
    const r = await refusal(videos.process(whole.subarray(0, 200), ALL));
    expect(r.code).toBe("unprocessable");
    const mp4 = await makeVideo({ seconds: 2, width: 320, height: 180, codecs: H264_AAC, ext: ".mp4" });
    // An MP4 cut before its index is unreadable.
    const cut = await refusal(videos.process(mp4.subarray(0, Math.floor(mp4.length / 2)), ALL));
    expect(["unprocessable", "unsupported_media"]).toContain(cut.code);
    await nothingLeft();
  });

  it("refuses a video declaring dimensions past the bound", async () => {
    const big = await makeVideo({
      seconds: 0.1,
      width: 8000,
      height: 8000,
      rate: 10,
      codecs: ["-c:v", "libx264", "-preset", "ultrafast", "-frames:v", "1"],
      ext: ".mp4",
      audio: false,
    });
    const r = await refusal(videos.process(big, ALL));
    expect(r).toEqual({ code: "unprocessable", message: expect.stringContaining("8000x8000") });
    await nothingLeft();
  });

  it("refuses files whose bytes lie about their type", async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#f00" } })
      .png()
      .toBuffer();
    expect((await refusal(videos.process(png, ALL))).code).toBe("unsupported_media");
    // Matroska carrying H.264: not WebM-compatible.
    const mkv = await makeVideo({ seconds: 1, width: 160, height: 90, codecs: H264_AAC, ext: ".mkv" });
    expect(sniffVideoType(mkv)).toBe("video/webm");
    expect(await refusal(videos.process(mkv, ALL))).toEqual({
      code: "unsupported_media",
      message: expect.stringContaining("VP8, VP9 or AV1"),
    });
    // A WebM header glued in front of an MP4: the Matroska demuxer cannot read it.
    const webm = await makeVideo({ seconds: 1, width: 160, height: 90, codecs: VP8_VORBIS, ext: ".webm" });
    const mp4 = await makeVideo({ seconds: 1, width: 160, height: 90, codecs: H264_AAC, ext: ".mp4" });
    const chimera = Buffer.concat([webm.subarray(0, 40), mp4]);
    expect(["unsupported_media", "unprocessable"]).toContain((await refusal(videos.process(chimera, ALL))).code);
    await nothingLeft();
  });

  it("refuses an MP4 with a codec outside the allowlist", async () => {
    const codec = (await hasEncoder("libx265")) ? ["-c:v", "libx265", "-preset", "ultrafast"] : ["-c:v", "mpeg4"];
    const hevc = await makeVideo({
      seconds: 1,
      width: 160,
      height: 96,
      codecs: [...codec, "-c:a", "aac"],
      ext: ".mp4",
    });
    expect(await refusal(videos.process(hevc, ALL))).toEqual({
      code: "unsupported_media",
      message: expect.stringMatching(/MP4 video must be H\.264 with AAC audio, not (HEVC|MPEG4)/),
    });
    const mp3 = await makeVideo({
      seconds: 1,
      width: 160,
      height: 96,
      codecs: ["-c:v", "libx264", "-c:a", "libmp3lame"],
      ext: ".mp4",
    });
    expect((await refusal(videos.process(mp3, ALL))).message).toContain("with AAC audio, not MP3");
    await nothingLeft();
  });

  it("refuses a video longer than the board allows, and types the board does not take", async () => {
    const clip = await makeVideo({ seconds: 3, width: 160, height: 90, codecs: VP8_VORBIS, ext: ".webm" });
    expect(await refusal(videos.process(clip, { ...ALL, maxDuration: 2 }))).toEqual({
      code: "unprocessable",
      message: expect.stringContaining("too long"),
    });
    expect(await refusal(videos.process(clip, { ...ALL, allowedTypes: ["image/png", "video/mp4"] }))).toEqual({
      code: "unsupported_media",
      message: "WebM videos are not accepted here (accepted: MP4).",
    });
    expect((await refusal(videos.process(clip, { ...ALL, maxFileSize: 1000 }))).code).toBe("too_large");
    await nothingLeft();
  });

  it("kills the child's whole process group at the time limit", async () => {
    const r = await runSandboxed(
      videos.sandbox,
      { timeoutMs: 300, memoryBytes: 256 * MB, maxOutputBytes: 1024 },
      "sh",
      ["-c", "sleep 30 & sleep 30; wait"],
    );
    expect(r.timedOut).toBe(true);
    expect(r.pid).toBeDefined();
    // Neither the shell nor the sleep it forked survives: the group is empty.
    expect(groupMembers(r.pid as number)).toEqual([]);
  });

  it("gives the child no network and a memory limit when this machine allows it", async () => {
    const limits = { timeoutMs: 10_000, memoryBytes: 256 * MB, maxOutputBytes: 64 * 1024 };
    const net = await runSandboxed(videos.sandbox, limits, "cat", ["/proc/net/dev"]);
    const ifaces = net.stdout
      .toString()
      .split("\n")
      .slice(2)
      .filter(Boolean)
      .map((l) => l.split(":")[0]?.trim());
    if (videos.sandbox.unshare) expect(ifaces).toEqual(["lo"]);
    else expect(ifaces.length).toBeGreaterThan(0);
    const as = await runSandboxed(videos.sandbox, limits, "sh", ["-c", "ulimit -v"]);
    if (videos.sandbox.prlimit) expect(as.stdout.toString().trim()).toBe(String((256 * MB) / 1024));
    else expect(as.stdout.toString().trim()).toBe("unlimited");
  });
});
