/**
 * The order log of the trading sandbox: every change of an order is one event with a sequence
 * number increasing across the whole service (kept in full: it is a sandbox), replayed and then
 * streamed live to the StreamOrderEvents streams of its account, with markers (events without an
 * order) after the replay and on each heartbeat of an idle stream.
 */
import type { GrpcServerStream } from '../../sandbox-kit/grpc.js';
import type { OrderEventMessage, OrderMessage, StreamOrderEventsRequest } from '../messages.js';

interface Follower {
  readonly accountId: string;
  readonly stream: GrpcServerStream<OrderEventMessage>;
  /** Nothing was sent since the last heartbeat. */
  idle: boolean;
}

/** The log of one sandbox instance. */
export interface OrderLog {
  /** Appends the order's current state and sends it to the streams of its account. */
  append(order: OrderMessage): void;
  /** Replays the account's events after the request's sequence (none with `fromHead`), sends a marker, then follows. */
  follow(request: StreamOrderEventsRequest, stream: GrpcServerStream<OrderEventMessage>): void;
  /** Sends a marker to every stream that sent nothing since the last heartbeat. */
  heartbeat(): void;
  /** Every event, oldest first, as copies. */
  events(): OrderEventMessage[];
}

/** Creates an empty log: the first event is sequence 1, the head of an empty log is 0. */
export function createOrderLog(): OrderLog {
  const entries: { sequence: number; order: OrderMessage }[] = [];
  const followers = new Set<Follower>();
  const head = () => String(entries.length);
  const marker = (): OrderEventMessage => ({ sequence: head(), order: null });

  return {
    append(order) {
      const entry = { sequence: entries.length + 1, order: { ...order } };
      entries.push(entry);
      for (const follower of followers) {
        if (follower.accountId !== order.accountId) continue;
        follower.idle = false;
        follower.stream.write({ sequence: String(entry.sequence), order: { ...entry.order } });
      }
    },
    follow({ accountId, afterSequence, fromHead }, stream) {
      if (!fromHead) {
        const after = BigInt(afterSequence);
        // Sequences are 1-based positions in `entries`: the replay starts right after `after`.
        const start = after < BigInt(entries.length) ? Number(after) : entries.length;
        for (const entry of entries.slice(start)) {
          if (entry.order.accountId === accountId) {
            stream.write({ sequence: String(entry.sequence), order: { ...entry.order } });
          }
        }
      }
      // Replay and marker are written in one synchronous run: no append can fall between them.
      stream.write(marker());
      const follower: Follower = { accountId, stream, idle: true };
      followers.add(follower);
      stream.onClose(() => followers.delete(follower));
    },
    heartbeat() {
      for (const follower of followers) {
        if (follower.idle) follower.stream.write(marker());
        follower.idle = true;
      }
    },
    events: () => entries.map(({ sequence, order }) => ({ sequence: String(sequence), order: { ...order } })),
  };
}
