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

/**
 * The Mastodon API release whose endpoints Atoll's Mastodon-compatible ones follow (instance
 * information, the admin domain rules and measures): what client libraries read to decide which
 * features to use.
 */
export const MASTODON_API_VERSION = "4.2.0";

/** The version `/api/v1/instance` states, as Mastodon-compatible servers write it. */
export const MASTODON_COMPATIBLE_VERSION = `${MASTODON_API_VERSION} (compatible; Atoll ${VERSION})`;
