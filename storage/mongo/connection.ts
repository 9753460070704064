/** The database name a MongoDB URL carries in its path, or "atoll" when it names none. */
export function databaseNameFromUrl(url: string, fallback = "atoll"): string {
  // The host list may hold several comma-separated hosts, which WHATWG URL parsing rejects.
  const match = /^mongodb(?:\+srv)?:\/\/[^/?#]*(?:\/([^?#]*))?/.exec(url);
  if (!match) throw new Error("MONGODB_URL must start with mongodb:// or mongodb+srv://");
  const name = decodeURIComponent(match[1] ?? "");
  return name === "" ? fallback : name;
}
