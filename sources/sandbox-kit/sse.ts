/**
 * Server-Sent Events routes of the REST sandboxes: a route validates its request like any other,
 * then attaches the open stream to whatever feeds it (the sandbox's own tick listener). Every open
 * stream is counted and droppable through the control's stream registry, and gets the shared
 * heartbeat comment.
 */
import type { ServerResponse } from 'node:http';
import type { SandboxControl } from './faults.js';
import type { JsonReply, RouteRequest } from './http.js';

/** One open event stream, as the sandbox that feeds it sees it. */
export interface EventStream {
  /** Writes one event; its `id` is the stream's own counter, 1, 2, … */
  send(event: string, data: unknown): void;
}

/** Attaches an accepted stream to its feed; returns the function that detaches it. */
export type AttachStream = (stream: EventStream) => () => void;

/** One SSE route of a REST sandbox. */
export interface EventStreamRoute {
  /** `GET /v1/stream/prices`: method and path pattern; also the key of `stats.byRoute`. */
  readonly route: string;
  /** Refuses the request (a 400), or accepts it with the function that attaches the stream. */
  readonly accept: (request: RouteRequest) => JsonReply | AttachStream;
}

/** The open SSE responses of one sandbox and their shared heartbeat. */
export interface EventStreams {
  /** Answers 200 `text/event-stream` and keeps the response open until either side closes it. */
  serve(route: string, res: ServerResponse, attach: AttachStream): void;
}

/** Registers the heartbeat of `control` for the streams served through the returned object. */
export function createEventStreams(control: SandboxControl): EventStreams {
  const open = new Set<ServerResponse>();
  control.streams.onHeartbeat(() => {
    for (const res of open) res.write(': ping\n\n');
  });
  return {
    serve(route, res, attach) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      // The client learns at once that the stream is accepted, not at the first tick.
      res.flushHeaders();
      let id = 0;
      const detach = attach({
        send(event, data) {
          id++;
          res.write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
        },
      });
      let closed: (() => void) | undefined;
      const finish = () => {
        if (!open.delete(res)) return;
        detach();
        closed?.();
      };
      open.add(res);
      // A drop is a blip of the network, not a clean end: the client sees a reset. The stream is
      // uncounted at once, so stats read right after a drop are exact.
      closed = control.streams.open(route, () => {
        res.destroy();
        finish();
      });
      res.once('close', finish);
    },
  };
}
