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

interface Cidr {
  address: string;
  family: 4 | 6;
  prefix: number;
}

/** One CIDR block (`10.0.0.0/8`, `2001:db8::/32`, or a bare address); throws naming a bad one. */
function parseCidr(cidr: string): Cidr {
  const [address = '', prefixText, extra] = cidr.split('/');
  const family = isIP(address);
  const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
  if (
    family === 0 ||
    extra !== undefined ||
    address.includes('%') || // a zone id names an interface of one host, never a client
    (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) || // not "", " 8", "0x8", "1e1"
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > (family === 6 ? 128 : 32)
  ) {
    throw new RangeError(`"${cidr}" is not a CIDR block such as 203.0.113.0/24`);
  }
  return { address, family: family as 4 | 6, prefix };
}

/** Parses CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`, or a bare address); throws naming a bad one. */
export function parseCidrs(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const { address, family, prefix } = parseCidr(cidr);
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Whether an address falls in the list. */
export function isAllowed(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

/*
 * Comparing lists. BlockList matches an IPv4 address against IPv4-mapped IPv6 blocks and the other
 * way round (10.0.0.0/8 admits ::ffff:10.1.2.3; ::ffff:10.0.0.0/104 and ::/0 admit 10.1.2.3), so
 * blocks are compared in that one 128-bit space: IPv4 a.b.c.d/n is ::ffff:a.b.c.d/(96+n).
 */

/** An inclusive range of the 128-bit space. */
interface AddressRange {
  first: bigint;
  last: bigint;
}

const ALL_128 = (1n << 128n) - 1n;
/** Every IPv4 address: ::ffff:0:0/96. */
const IPV4_SPACE: AddressRange = { first: 0xffffn << 32n, last: (0xffffn << 32n) | 0xffff_ffffn };
/** Every global unicast IPv6 address, where Internet clients come from: 2000::/3. */
const GLOBAL_IPV6: AddressRange = { first: 1n << 125n, last: (2n << 125n) - 1n };

function ipv4Bits(address: string): bigint {
  return address.split('.').reduce((bits, octet) => (bits << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Bits(address: string): bigint {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Bits(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((bits, group) => (bits << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function rangeOf(cidr: string): AddressRange {
  const { address, family, prefix } = parseCidr(cidr);
  const bits = family === 4 ? IPV4_SPACE.first | ipv4Bits(address) : ipv6Bits(address);
  const host = (1n << BigInt(128 - (family === 4 ? prefix + 96 : prefix))) - 1n;
  return { first: bits & (ALL_128 ^ host), last: bits | host };
}

/**
 * Whether the block `inner` lies inside one block of `outer` (a block split across two outer
 * blocks does not count: the comparison stays simple and errs on the narrow side). False when any
 * of them is not a CIDR block.
 */
export function isCidrWithin(inner: string, outer: readonly string[]): boolean {
  try {
    const range = rangeOf(inner);
    return outer.some((cidr) => {
      const bounds = rangeOf(cidr);
      return bounds.first <= range.first && range.last <= bounds.last;
    });
  } catch {
    return false;
  }
}

/** How many addresses of `region` the blocks admit, overlaps counted once. */
function admitted(ranges: readonly AddressRange[], region: AddressRange): bigint {
  const clipped = ranges
    .map((r) => ({
      first: r.first > region.first ? r.first : region.first,
      last: r.last < region.last ? r.last : region.last,
    }))
    .filter((r) => r.first <= r.last)
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let total = 0n;
  let reached = region.first - 1n; // the last address already counted
  for (const r of clipped) {
    const from = r.first > reached ? r.first : reached + 1n;
    if (r.last >= from) {
      total += r.last - from + 1n;
      reached = r.last;
    }
  }
  return total;
}

/**
 * How many addresses a list admits, overlaps counted once: IPv4 (written as IPv4 or IPv4-mapped
 * IPv6) and the rest of IPv6. Throws on a malformed block, like {@link parseCidrs}.
 */
export function cidrCoverage(cidrs: readonly string[]): { ipv4: bigint; ipv6: bigint } {
  const ranges = cidrs.map(rangeOf);
  const ipv4 = admitted(ranges, IPV4_SPACE);
  return { ipv4, ipv6: admitted(ranges, { first: 0n, last: ALL_128 }) - ipv4 };
}

/**
 * Whether a list admits every IPv4 address or every global IPv6 address however it is written:
 * `0.0.0.0/0`, `::/0`, `::ffff:0:0/96`, `2000::/3`, `0.0.0.0/1` + `128.0.0.0/1`, 256 × /8, …
 * Such a list restricts nothing: it is not an allowlist. Throws on a malformed block.
 */
export function isAllowAll(cidrs: readonly string[]): boolean {
  const ranges = cidrs.map(rangeOf);
  const size = (r: AddressRange) => r.last - r.first + 1n;
  return (
    admitted(ranges, IPV4_SPACE) === size(IPV4_SPACE) || admitted(ranges, GLOBAL_IPV6) === size(GLOBAL_IPV6)
  );
}
