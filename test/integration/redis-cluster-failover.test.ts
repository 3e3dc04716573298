/**
 * Failover under load on a real Redis Cluster (3 masters, 3 replicas: test/helpers/redis-cluster.ts).
 * Two gateways take steady reads and a stream of signed placeOrder mutations while the master that
 * holds what those mutations need (user-1's key record, and the nonces chosen to hash to it) is
 * killed with -9, or hung with SIGSTOP. Nonces are chosen ahead by their slot, half on that master,
 * half on the others, so the test tells "refused because its slot had no master" from "refused".
 *
 * Holds after kill -9: reads answer with data throughout; mutations whose nonce lives on the lost
 * master are refused with 503 SERVICE_UNAVAILABLE (fail closed) until the replica takes over, then
 * accepted again by both gateways without a restart; the other slots' mutations are never refused
 * for lack of Redis; no accepted request is accepted a second time on either instance (every replay
 * is REPLAYED_REQUEST: the nonce survived the failover); no order reaches the sandboxes twice. A hung
 * master (SIGSTOP: connections open, no answer) is the same, but for one command timeout before its
 * node's breaker opens. Windows and the reads' p99 are printed, not asserted (DESIGN.md "Testing").
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  codeOf,
  order,
  ordersWith,
  PLACE,
  PORTFOLIO,
  placed,
  replay,
  revokedWithinMs,
  type SignedOrder,
  signedOrder,
  sleep,
} from '../helpers/fleet.js';
import { type GraphQLReply, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { useTestRedisCluster } from '../helpers/redis-cluster.js';
import { type ReadSample, steadyReads } from '../helpers/steady-reads.js';

const cluster = await useTestRedisCluster();
/**
 * How long before a fault a nonce the lost master acknowledged may still be unknown to the replica
 * that replaces it (asynchronous replication; ~0.5 s seen on a loaded machine).
 */
const UNREPLICATED_MS = 2000;

interface Sample {
  readonly gateway: number;
  /** Whether its nonce hashes to the master the fault hits. */
  readonly lost: boolean;
  /** When it was sent: performance.now(), and Date.now() for the signature's age. */
  readonly at: number;
  readonly sentAt: number;
  readonly ms: number;
  readonly reply: GraphQLReply;
  readonly signed: SignedOrder;
}

/** What one fault under load showed. */
interface Outcome {
  readonly victim: number;
  readonly promoted: number | undefined;
  readonly faultAt: number;
  readonly promotedAt: number;
  readonly samples: readonly Sample[];
  readonly reads: readonly ReadSample[];
  recovered(): boolean;
}

// Skipped only where redis-server is missing and CI/REQUIRE_REDIS is unset (the helper says so loudly).
describe.skipIf(!cluster)('Redis Cluster failover under load', { timeout: 180_000 }, () => {
  const prefix = `test:${randomUUID()}:`;
  let gateways: TestGateway[] = [];
  // What gateway 0 logs about Redis (the health log: one line down, one line back).
  const health: { msg: string; reason?: string }[] = [];

  beforeAll(async () => {
    const logger = pino(
      { level: 'info' },
      {
        write(line: string) {
          const { msg, reason } = JSON.parse(line) as { msg: string; reason?: string };
          if (/^redis /.test(msg)) health.push({ msg, ...(reason ? { reason } : {}) });
        },
      },
    );
    gateways = await Promise.all(
      [0, 1].map((i) =>
        startTestGateway({
          env: { REDIS_CLUSTER_NODES: cluster!.nodes, REDIS_KEY_PREFIX: prefix, RESPONSE_CACHE: 'true' },
          ...(i === 0 ? { logger } : {}),
        }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await cluster?.stop();
  });
  // Each test starts on a whole cluster (every master with a replica in sync), whatever the last left.
  beforeEach(async ({ onTestFailed }) => {
    // The nodes' own account of a failure (their logs go with the cluster when the file ends).
    onTestFailed(() => console.log(cluster!.logTails()));
    await cluster!.heal();
  }, 60_000);

  /**
   * Runs signed mutations (alternating gateways, and nonces on and off the victim master) and reads
   * on both gateways, applies `fault` to the master holding gateway 0's key record, and waits until
   * both gateways placed an order on the victim's slots after the last refusal (45 s at most).
   */
  async function underFault(fault: (slot: number) => Promise<void>): Promise<Outcome> {
    const nodes = await cluster!.describe();
    const ownerOf = (slot: number) =>
      nodes.find((n) => n.role === 'master' && n.slots.some(([from, to]) => slot >= from && slot <= to))!;
    const [slot] = await cluster!.slotsOf([`${prefix}key:${gateways[0]!.signingKey('user-1').keyId}`]);
    const victim = ownerOf(slot!).port;
    // Nonces per gateway (each signs with its own user-1 key), sorted by the master their key lands on.
    const pools = await Promise.all(
      gateways.map(async (gateway) => {
        const keyId = gateway.signingKey('user-1').keyId;
        const candidates = Array.from({ length: 3000 }, () => randomUUID());
        const slots = await cluster!.slotsOf(candidates.map((nonce) => `${prefix}nonce:${keyId}:${nonce}`));
        const onVictim = (i: number) => ownerOf(slots[i]!).port === victim;
        return {
          lost: candidates.filter((_, i) => onVictim(i)),
          kept: candidates.filter((_, i) => !onVictim(i)),
        };
      }),
    );
    const send = async (gateway: number, lost: boolean): Promise<Sample> => {
      const nonce = pools[gateway]![lost ? 'lost' : 'kept'].pop();
      if (!nonce) throw new Error('nonce pool exhausted');
      const signed = signedOrder(gateways[gateway]!, nonce);
      const at = performance.now();
      const sentAt = Date.now();
      const reply = await replay(gateways[gateway]!.url, signed);
      return { gateway, lost, at, sentAt, ms: performance.now() - at, reply, signed };
    };

    // Both kinds of mutation work on both gateways before the fault.
    for (const gateway of [0, 1])
      for (const lost of [true, false]) {
        const sample = await send(gateway, lost);
        expect(placed(sample.reply), JSON.stringify(sample.reply.body)).toBe(true);
      }

    const samples: Sample[] = [];
    let running = true;
    const loop = (async () => {
      for (let i = 0; running; i++) {
        samples.push(await send(i % 2, Math.floor(i / 2) % 2 === 0));
        await sleep(25);
      }
    })();
    const recovered = () => {
      const last = samples.findLastIndex((s) => !placed(s.reply));
      if (last < 0) return false;
      const since = samples.slice(last + 1).filter((s) => s.lost && placed(s.reply));
      return [0, 1].every((gateway) => since.some((s) => s.gateway === gateway));
    };
    const reads = gateways.map((gateway) => steadyReads(gateway, 20));
    await sleep(500);

    const faultAt = performance.now();
    await fault(slot!);
    let promotedAt = Number.NaN;
    while (performance.now() - faultAt < 45_000 && !recovered()) {
      const master = Number.isNaN(promotedAt) ? await cluster!.masterOf(slot!) : undefined;
      if (master !== undefined && master !== victim) promotedAt = performance.now();
      await sleep(50);
    }
    await sleep(300);
    running = false;
    await loop;
    const done = await Promise.all(reads.map((r) => r.stop()));
    return {
      victim,
      promoted: await cluster!.masterOf(slot!),
      faultAt,
      promotedAt,
      samples,
      reads: done.flat(),
      recovered,
    };
  }

  /** One line: when mutations on the victim's slots were refused, and what reads paid meanwhile. */
  function report(label: string, { victim, promoted, faultAt, promotedAt, samples, reads }: Outcome) {
    const lost = samples.filter((s) => s.lost);
    const kept = samples.filter((s) => !s.lost);
    const refused = lost.filter((s) => !placed(s.reply));
    const firstRefused = refused[0]?.at ?? Number.NaN;
    const lastRefused = refused.at(-1)?.at ?? Number.NaN;
    const firstBack = lost.find((s) => placed(s.reply) && s.at > lastRefused)?.at ?? Number.NaN;
    const window = reads.filter((r) => r.at >= firstRefused && r.at <= firstBack).map((r) => r.ms);
    const rel = (t: number) => Math.round(t - faultAt);
    console.log(
      `redis cluster ${label} (ms after the fault on master :${victim}; replica :${promoted} promoted, seen at +${rel(promotedAt)}): ` +
        `mutations on its slots refused from +${rel(firstRefused)} to +${rel(lastRefused)}, accepted again at +${rel(firstBack)}: ` +
        `window ${Math.round(firstBack - firstRefused)} ms (${refused.length} of ${lost.length} refused, slowest refusal ${maxOf(refused.map((s) => s.ms))} ms); ` +
        `other slots' mutations refused: ${kept.filter((s) => !placed(s.reply)).length} of ${kept.length}; ` +
        `reads n=${reads.length}, in the window n=${window.length} p99 ${percentile(window, 0.99)} ms max ${maxOf(window)} ms`,
    );
  }

  /**
   * Every accepted request replayed at the other gateway is refused as REPLAYED_REQUEST, and no order
   * reached the sandboxes twice, but for one kind: a request whose nonce the lost master acknowledged
   * shortly before the fault may pass the nonce check at the promoted replica, since replication is
   * asynchronous (src/stores/nonces.ts). Seen on a loaded machine: nonces acknowledged up to ~0.5 s
   * before a SIGSTOP were unknown to the promoted replica. In production the trading upstream's
   * clientOrderId idempotency answers such a replay with the same order; here each gateway has a
   * sandbox of its own, so it shows as a second order, and is counted and allowed within
   * UNREPLICATED_MS of the fault. A nonce older than that, or on a master that did not fail, or sent
   * after the fault, must be refused.
   */
  async function expectNothingTwice(samples: readonly Sample[], faultAt: number) {
    // Requests past the signature window are left out: they would be refused as expired, proving nothing.
    const accepted = samples.filter((s) => placed(s.reply) && Date.now() - s.sentAt < 25_000);
    // Those accepted on the victim's slots before the fault included: their nonce had to survive it.
    expect(accepted.filter((s) => s.lost && s.at < faultAt).length).toBeGreaterThan(0);
    // One at a time; a 503 (a loaded machine's Redis timing out) accepts nothing either, but proves
    // nothing about the nonce: that replay is sent again.
    const verdicts: string[] = [];
    const unreplicated = new Set<string>();
    for (const sample of accepted) {
      let reply = await replay(gateways[1 - sample.gateway]!.url, sample.signed);
      for (let i = 0; i < 20 && codeOf(reply) === 'SERVICE_UNAVAILABLE'; i++) {
        await sleep(100);
        reply = await replay(gateways[1 - sample.gateway]!.url, sample.signed);
      }
      const code = codeOf(reply);
      if (code === 'REPLAYED_REQUEST') continue;
      const msBeforeFault = faultAt - sample.at;
      if (placed(reply) && sample.lost && msBeforeFault > 0 && msBeforeFault <= UNREPLICATED_MS) {
        unreplicated.add(sample.signed.clientOrderId);
        continue;
      }
      // Anything else is a failure, said plainly.
      verdicts.push(
        code !== undefined
          ? String(code)
          : placed(reply)
            ? `accepted again (${sample.lost ? 'lost' : 'other'} slot, sent ${Math.round(msBeforeFault)} ms before the fault)`
            : `HTTP ${reply.status} without a code`,
      );
    }
    expect(verdicts).toEqual([]);
    if (unreplicated.size > 0) {
      console.log(
        `replays that passed the nonce check (acknowledged by the lost master, not yet replicated): ${unreplicated.size}`,
      );
    }
    const twice = samples
      .filter((s) => placed(s.reply) && !unreplicated.has(s.signed.clientOrderId))
      .filter((s) => ordersWith(gateways, s.signed.clientOrderId) !== 1);
    expect(twice.map((s) => s.signed.clientOrderId)).toEqual([]);
  }

  it('after kill -9 of a master, refuses only its slots’ mutations and only until a replica takes over; reads answer; nothing is accepted twice beyond the replication window', async () => {
    const outcome = await underFault(async (slot) => {
      await cluster!.killMasterOf(slot);
    });
    report('failover after kill -9', outcome);
    const { victim, promoted, samples, reads, faultAt } = outcome;
    const refused = samples.filter((s) => s.lost && !placed(s.reply));

    // Fail closed, with the policy's code, on the lost slots only.
    expect(refused.length).toBeGreaterThan(0);
    expect(
      refused.filter((s) => s.reply.status !== 503 || codeOf(s.reply) !== 'SERVICE_UNAVAILABLE'),
    ).toEqual([]);
    expect(samples.filter((s) => !s.lost && codeOf(s.reply) === 'SERVICE_UNAVAILABLE')).toEqual([]);
    // Accepted again by both gateways once a replica owns the slots, without a restart.
    expect(promoted).toBeDefined();
    expect(promoted).not.toBe(victim);
    expect(outcome.recovered()).toBe(true);
    // Reads answered, with data, all along.
    expect(reads.length).toBeGreaterThan(100);
    expect(reads.filter((r) => r.status !== 200 || r.symbol !== 'BTC')).toEqual([]);
    // The health log said it once, naming the lost node, and said when it was back: no line per
    // refused command or reconnect attempt.
    expect(health[0]?.msg).toMatch(/^redis unreachable/);
    expect(health[0]?.reason).toContain(`:${victim}`);
    expect(health.at(-1)?.msg).toMatch(/^redis is back/);
    expect(health.length).toBeLessThanOrEqual(4);
    await expectNothingTwice(samples, faultAt);

    // Revocations are still pushed: each gateway's subscriber is on a live node (moved if it was on
    // the lost one), and PUBLISH reaches every node.
    const { key, record } = await gateways[0]!.running.keys.create(
      { clientId: 'user-1', name: 'after' },
      'test',
    );
    expect(await acceptedWithin(gateways[1]!, key, 3000)).toBe(true);
    const revokedMs = await revokedWithinMs(gateways[0]!, [gateways[1]!], record.keyId, key);
    console.log(
      `revocation seen by the other gateway after the cluster failover: ${Math.round(revokedMs)} ms`,
    );
    expect(revokedMs).toBeLessThan(1000);

    // The lost node comes back as a replica; the cluster is whole again and both gateways still trade.
    await cluster!.heal();
    expect((await cluster!.describe()).find((n) => n.port === victim)?.role).toBe('replica');
    for (const gateway of gateways) expect(placed(await gateway.signed(PLACE, order()))).toBe(true);
  });

  it('after a master hangs (SIGSTOP), fails closed until a replica takes over, without a restart; nothing is accepted twice beyond the replication window', async () => {
    let hung = 0;
    try {
      const outcome = await underFault(async (slot) => {
        hung = (await cluster!.masterOf(slot))!;
        cluster!.signal(hung, 'SIGSTOP');
      });
      report('failover of a hung master (SIGSTOP)', outcome);
      const { samples, reads, faultAt } = outcome;
      // Commands to the hung master time out once, then its node's breaker fails them fast; the other
      // masters' breakers stay closed, so only its slots' mutations are refused.
      const refused = samples.filter((s) => s.lost && !placed(s.reply));
      expect(refused.length).toBeGreaterThan(0);
      expect(
        refused.filter((s) => s.reply.status !== 503 || codeOf(s.reply) !== 'SERVICE_UNAVAILABLE'),
      ).toEqual([]);
      expect(samples.filter((s) => !s.lost && codeOf(s.reply) === 'SERVICE_UNAVAILABLE')).toEqual([]);
      expect(outcome.promoted).not.toBe(hung);
      expect(outcome.recovered()).toBe(true);
      expect(reads.filter((r) => r.status !== 200 || r.symbol !== 'BTC')).toEqual([]);
      await expectNothingTwice(samples, faultAt);
    } finally {
      if (hung) cluster!.signal(hung, 'SIGCONT');
    }
    await cluster!.waitHealthy();
  });
});

const maxOf = (values: readonly number[]) => Math.round(Math.max(0, ...values));

/** Whether `gateway` answers a read with `key` within `ms` (a new key may meet a lookup's backoff). */
async function acceptedWithin(gateway: TestGateway, key: string, ms: number): Promise<boolean> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if ((await gateway.graphql(PORTFOLIO, {}, { 'x-api-key': key })).status === 200) return true;
    await sleep(50);
  }
  return false;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!);
}
