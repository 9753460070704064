import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "./paths.js";

/** Atoll's version, as package.json states it; read once, when this module is first loaded. */
export const VERSION: string = readVersion();

function readVersion(): string {
  const path = join(projectRoot(), "package.json");
  const version: unknown = (JSON.parse(readFileSync(path, "utf8")) as { version?: unknown }).version;
  if (typeof version !== "string" || version === "") throw new Error(`${path} names no version`);
  return version;
}
