import { isIPv4, isIPv6 } from "node:net";
import { ipv6Groups } from "../../server/domain/ip.js";

/**
 * Whether an IP address is a public unicast address that an outbound federation request may contact.
 * Anything that is not a plain, valid address (a hostname, a zone id, brackets, garbage) is not public.
 *
 * Refused IPv4: 0/8, 10/8, 100.64/10 (CGNAT), 127/8, 169.254/16, 172.16/12, 192.0.0/24, the documentation
 * ranges 192.0.2/24, 198.51.100/24 and 203.0.113/24, 192.88.99/24 (6to4 relay), 192.168/16, 198.18/15,
 * and everything from 224/4 up (multicast, reserved, broadcast).
 *
 * IPv6 must be global unicast (2000::/3) minus documentation (2001:db8::/32, 3fff::/20) and the IETF
 * protocol block 2001::/23; addresses that embed IPv4 (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96,
 * 6to4 2002::/16, Teredo 2001::/32) are judged by the IPv4 they carry. Deprecated IPv4-compatible forms
 * (::a.b.c.d), loopback, unique-local, link-local, site-local and multicast all lie outside 2000::/3.
 */
export function isPublicAddress(ip: string): boolean {
  if (typeof ip !== "string" || ip.length > 64) return false;
  if (isIPv4(ip)) return isPublicV4(ip.split(".").map(Number));
  if (isIPv6(ip) && !ip.includes("%")) {
    const bytes = ipv6Bytes(ip);
    return bytes !== null && isPublicV6(bytes);
  }
  return false;
}

function isPublicV4(octets: readonly number[]): boolean {
  const [a = 0, b = 0, c = 0] = octets;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && (b & 0xc0) === 64) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && (b & 0xf0) === 16) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false;
  if (a === 192 && b === 88 && c === 99) return false;
  if (a === 198 && (b & 0xfe) === 18) return false;
  if (a === 198 && b === 51 && c === 100) return false;
  if (a === 203 && b === 0 && c === 113) return false;
  return true;
}

function isPublicV6(b: readonly number[]): boolean {
  const at = (i: number) => b[i] ?? 0;
  const zeroUpTo = (n: number) => b.slice(0, n).every((x) => x === 0);
  // ::ffff:a.b.c.d — the address a dual-stack socket actually connects to is the IPv4 one.
  if (zeroUpTo(10) && at(10) === 0xff && at(11) === 0xff) return isPublicV4(b.slice(12));
  // 64:ff9b::/96, the well-known NAT64 prefix: DNS64 synthesises these for IPv4-only hosts.
  if (at(0) === 0 && at(1) === 0x64 && at(2) === 0xff && at(3) === 0x9b && b.slice(4, 12).every((x) => x === 0)) {
    return isPublicV4(b.slice(12));
  }
  if ((at(0) & 0xe0) !== 0x20) return false;
  if (at(0) === 0x20 && at(1) === 0x01) {
    // Teredo: server IPv4 in bytes 4–7, client IPv4 inverted in bytes 12–15.
    if (at(2) === 0 && at(3) === 0) {
      return isPublicV4(b.slice(4, 8)) && isPublicV4(b.slice(12).map((x) => x ^ 0xff));
    }
    if (at(2) < 0x02) return false; // the rest of 2001::/23
    if (at(2) === 0x0d && at(3) === 0xb8) return false;
  }
  if (at(0) === 0x20 && at(1) === 0x02) return isPublicV4(b.slice(2, 6)); // 6to4
  if (at(0) === 0x3f && at(1) === 0xff && (at(2) & 0xf0) === 0) return false;
  return true;
}

/** The 16 bytes of an address that node:net has already accepted as IPv6. */
function ipv6Bytes(address: string): number[] | null {
  const all = ipv6Groups(address);
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}
