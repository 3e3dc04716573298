/** The client's IP address, and CIDR allowlists. */
import { BlockList, isIP } from 'node:net';

/**
 * The client address: the socket peer, or — behind `trustedHops` proxies (TRUST_PROXY) — the
 * X-Forwarded-For entry that many hops from the right. Entries further left are client-supplied
 * and never trusted.
 */
export function clientIp(
  socketAddress: string | undefined,
  forwardedFor: string | null,
  trustedHops: number,
): string {
  const peer = normalize(socketAddress ?? '');
  if (trustedHops <= 0 || !forwardedFor) return peer;
  const hops = forwardedFor.split(',').map((entry) => normalize(entry.trim()));
  const candidate = hops[hops.length - trustedHops];
  return candidate && isIP(candidate) ? candidate : peer;
}

function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Parses CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`, or a bare address); throws naming a bad one. */
export function parseCidrs(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', prefixText] = cidr.split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new RangeError(`"${cidr}" is not a CIDR block such as 203.0.113.0/24`);
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Whether an address falls in the list. */
export function isAllowed(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}
