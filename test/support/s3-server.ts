import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import type { S3Settings } from "../../storage/media/s3-media-store.js";

export const TEST_BUCKET = "atoll-media";

export interface TestS3 {
  settings: S3Settings;
  /** Where s3rver keeps the objects (an object's file's mtime is its LastModified). */
  directory: string;
  /** MEDIA_STORE=s3 and the S3_* variables for this server. */
  env: Record<string, string>;
  /** Stops the server (its files stay until `remove`); the endpoint then refuses connections. */
  stop(): Promise<void>;
  /** Starts it again after `stop`, on the same address and port, with the objects it had. */
  restart(): Promise<void>;
  /** Stops the server if it runs and removes its files. */
  remove(): Promise<void>;
}

/** An S3-compatible server (s3rver) in this process on loopback, with an empty bucket. */
export async function startS3(address = "127.0.0.1"): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), "atoll-s3-"));
  let server = new S3rver({ address, port: 0, silent: true, directory, configureBuckets: [{ name: TEST_BUCKET }] });
  const { port } = await server.run();
  let running = true;
  const settings: S3Settings = {
    endpoint: `http://${address}:${port}`,
    region: "us-east-1",
    bucket: TEST_BUCKET,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    forcePathStyle: true,
  };
  const stop = async () => {
    if (!running) return;
    running = false;
    await server.close();
  };
  return {
    settings,
    directory,
    env: {
      MEDIA_STORE: "s3",
      S3_ENDPOINT: settings.endpoint as string,
      S3_REGION: settings.region,
      S3_BUCKET: settings.bucket,
      S3_ACCESS_KEY_ID: settings.accessKeyId,
      S3_SECRET_ACCESS_KEY: settings.secretAccessKey,
      S3_FORCE_PATH_STYLE: "on",
    },
    stop,
    async restart() {
      if (running) return;
      server = new S3rver({ address, port, silent: true, directory, configureBuckets: [{ name: TEST_BUCKET }] });
      await server.run();
      running = true;
    },
    async remove() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
