import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { FsMediaStore } from "../../../storage/media/fs-media-store.js";
import { S3MediaStore } from "../../../storage/media/s3-media-store.js";
import { formatSize } from "../../domain/sizes.js";
import { type CommandGroup, stringOption, UsageError } from "../command.js";
import { mediaPublish } from "./media-publish.js";

export const mediaCommands: CommandGroup = {
  name: "media",
  summary: "move the media files to object storage, and publish them under the names pages link",
  subcommands: [
    {
      name: "migrate",
      summary: "copy every file under DATA_DIR/media to the S3 bucket the S3_* variables name",
      usage: "--to s3",
      details: [
        "--to s3             the destination: the bucket of S3_ENDPOINT, S3_REGION, S3_BUCKET,",
        "                    S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (and S3_FORCE_PATH_STYLE)",
        "",
        "Files already in the bucket are skipped, so it may be run again after an interruption and",
        "while the server runs (run it once more after stopping the server, to catch the last posts).",
        "The local files are never deleted. Afterwards, start the server with MEDIA_STORE=s3 and the",
        "same S3_* variables; once it works, DATA_DIR/media may be archived or removed.",
      ],
      options: { to: { type: "string" } },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        if (stringOption(args, "to") !== "s3") throw new UsageError("--to s3 is required.", "media migrate");
        const { config } = await ctx.services();
        const s3 = config.mediaStore;
        if (s3.kind !== "s3") {
          throw new UsageError(
            "set MEDIA_STORE=s3 and the S3_* variables for the destination bucket (see --help).",
            "media migrate",
          );
        }
        const source = new FsMediaStore(join(config.dataDir, "media"));
        const target = new S3MediaStore(s3);
        try {
          const all: string[] = [];
          for await (const sha of source.list()) all.push(sha);
          ctx.out(`${all.length} files under ${join(config.dataDir, "media")}, to bucket ${s3.bucket}`);
          let copied = 0;
          let skipped = 0;
          let failed = 0;
          let bytes = 0;
          for (const [i, sha] of all.entries()) {
            const step = `${i + 1} / ${all.length}`;
            try {
              if (await target.has(sha)) {
                skipped++;
                ctx.out(`${step}  ${sha}  already there`);
                continue;
              }
              const blob = await source.open(sha);
              // Removed since it was listed (a post deleted meanwhile): nothing left to copy.
              if (!blob) {
                skipped++;
                ctx.out(`${step}  ${sha}  gone from the disk`);
                continue;
              }
              const data = await buffer(blob.stream);
              const stored = await target.put(data);
              if (stored !== sha) throw new Error(`its bytes hash to ${stored}: the local file is damaged`);
              copied++;
              bytes += data.length;
              ctx.out(`${step}  ${sha}  copied ${formatSize(data.length)} (${formatSize(bytes)} so far)`);
            } catch (e) {
              failed++;
              ctx.err(`${step}  ${sha}  FAILED: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
          ctx.out(`Done: ${copied} copied (${formatSize(bytes)}), ${skipped} already there or gone, ${failed} failed.`);
          if (failed > 0) {
            throw new Error(`${failed} of ${all.length} files were not copied; run the command again to retry them.`);
          }
        } finally {
          target.close();
        }
      },
    },
    mediaPublish,
  ],
};
