const KB = 1024;
const MB = 1024 * 1024;

/**
 * A size in bytes as every page, message and form shows it, in binary units written as 4chan writes
 * them: `512 B`, `120 KB` (KiB, whole), `1.42 MB`, `8 MB` (MiB, at most two decimals).
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes >= MB) return `${Number((bytes / MB).toFixed(2))} MB`;
  if (bytes >= KB) return `${Math.round(bytes / KB)} KB`;
  return `${Math.round(bytes)} B`;
}
