import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP server already listening, for an app built afterwards that needs its URL first. */
export interface BoundServer {
  /** The port bound, the asked one or the one the system picked for 0. */
  readonly port: number;
  /**
   * For Fastify's `serverFactory`: the listening server, which hands requests to Fastify once `open()` is
   * called. Fastify is then never told to listen: `ready()` it and `open()` this.
   */
  serverFactory(handler: RequestListener): Server;
  /** From now on requests go to the handler given to `serverFactory`. */
  open(): void;
  /** Stops listening on every address; Fastify leaves a server it did not listen on open. */
  close(): Promise<void>;
}

/**
 * Binds `host:port` now and keeps the socket, so that 0 picks a port that stays this process's: a port read
 * from a probe server and bound again later can be taken in between by another process (parallel jest
 * workers did, with EADDRINUSE). As `fastify.listen` does, 'localhost' is bound on each of its addresses
 * (127.0.0.1 and ::1) at the same port, the others only where that port is free there.
 */
export async function bindHttpServer(host: string, port: number): Promise<BoundServer> {
  let pending: RequestListener | undefined;
  let handler: RequestListener | undefined;
  const answer: RequestListener = (req, res) => {
    if (handler) return handler(req, res);
    // Bound while the rest starts: what a load balancer answers before its target is healthy.
    res
      .writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' })
      .end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503 }));
  };
  const listen = async (server: Server, at: number, address: string) => {
    // Fastify's own defaults, as when it creates the server itself.
    server.keepAliveTimeout = 72_000;
    server.requestTimeout = 0;
    server.listen(at, address);
    await once(server, 'listening');
    return server;
  };
  const primary = await listen(createServer(answer), port, host);
  const bound = primary.address() as AddressInfo;
  const servers = [primary];
  if (host === 'localhost') {
    const others = new Set((await lookup(host, { all: true })).map((a) => a.address));
    others.delete(bound.address);
    for (const address of others) {
      const secondary = createServer(answer);
      // Fastify listens for these on the server it was given.
      secondary.on('upgrade', (...args) => primary.emit('upgrade', ...args));
      secondary.on('clientError', (...args) => primary.emit('clientError', ...args));
      try {
        servers.push(await listen(secondary, bound.port, address));
      } catch {
        // As Fastify: the name's first address is the one that must be had, the others are a convenience.
      }
    }
  }
  return {
    port: bound.port,
    serverFactory(fastifyHandler) {
      pending = fastifyHandler;
      return primary;
    },
    open() {
      handler = pending;
    },
    async close() {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
