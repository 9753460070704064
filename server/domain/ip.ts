import { createHmac } from "node:crypto";
import { isIP } from "node:net";
import { DomainError } from "./errors.js";

export interface NormalizedIp {
  version: 4 | 6;
  /**
   * What identifies the poster: an IPv4 address in dotted form, or an IPv6 /64 prefix written out in
   * full (`2001:0db8:0000:0001::/64`), because one subscriber usually holds a whole /64.
   */
  key: string;
}

const invalid = () => new DomainError("invalid", "Not a valid IP address.");

/** The eight 16-bit groups of a valid IPv6 address (which may end in dotted IPv4). */
export function ipv6Groups(address: string): number[] {
  const toGroups = (part: string): number[] => {
    if (part === "") return [];
    const out: number[] = [];
    for (const piece of part.split(":")) {
      if (piece.includes(".")) {
        const [a = 0, b = 0, c = 0, d = 0] = piece.split(".").map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const gap = address.indexOf("::");
  if (gap < 0) return toGroups(address);
  const head = toGroups(address.slice(0, gap));
  const tail = toGroups(address.slice(gap + 2));
  return [...head, ...Array<number>(Math.max(0, 8 - head.length - tail.length)).fill(0), ...tail];
}

/**
 * Validates an address and reduces it to the key bans, cooldowns and poster IDs work on. IPv4-mapped
 * IPv6 (`::ffff:1.2.3.4`, as dual-stack sockets report IPv4 clients) becomes plain IPv4, so one client
 * has one key whichever way it arrived. Brackets and an IPv6 zone (`%eth0`) are ignored.
 */
export function normalizeIp(ip: string): NormalizedIp {
  if (typeof ip !== "string" || ip.length > 100) throw invalid();
  let address = ip.trim();
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);

  const version = isIP(address);
  if (version === 4) return { version: 4, key: address };
  if (version !== 6) throw invalid();

  const groups = ipv6Groups(address);
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw invalid();
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return { version: 4, key: `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}` };
  }
  const prefix = groups
    .slice(0, 4)
    .map((g) => g.toString(16).padStart(4, "0"))
    .join(":");
  return { version: 6, key: `${prefix}::/64` };
}

/**
 * A keyed hash of the address's key (HMAC-SHA256, hex, 128 bits), so the database never holds
 * addresses and the values are useless without the instance's secret.
 */
export function hashIp(ip: string, secret: string): string {
  if (!secret) throw new Error("hashIp needs a secret");
  const { key } = normalizeIp(ip);
  return createHmac("sha256", secret).update(key).digest("hex").slice(0, 32);
}
