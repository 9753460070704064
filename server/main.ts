import { createInstance } from "./app.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { checkDataDir, DataDirError } from "./data-dir.js";
import { configureSharpForServer } from "./services/images.js";

/** `npm start`: one instance from the environment, stopped cleanly by SIGTERM or SIGINT. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  try {
    await checkDataDir(config.dataDir, { sqlite: config.mongodbUrl === null });
  } catch (err) {
    if (err instanceof DataDirError) {
      process.stderr.write(`Atoll cannot start: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  configureSharpForServer();
  const instance = await createInstance(config);
  await instance.listen();
  process.stdout.write(
    `Atoll is serving ${config.publicUrl} (listening on ${config.host}:${config.port}, store: ${instance.services.store.kind})\n`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    instance.services.logger.info("stopping", { signal });
    const force = setTimeout(() => process.exit(1), 9500);
    force.unref();
    instance.close(8000).then(
      () => process.exit(0),
      (err: unknown) => {
        instance.services.logger.error("error while stopping", { err });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`Atoll could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
