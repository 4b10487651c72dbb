import { once } from 'node:events';
import { createServer as createHttpServer, request, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/*
 * Faults on purpose, for the fault tests and bench/faults: a TCP proxy in front of PostgreSQL that cuts,
 * refuses or cuts at a chosen moment, and an HTTP proxy in front of DynamoDB that throttles as DynamoDB does.
 * `npm start` never starts either.
 */

/** A TCP proxy whose connections the caller breaks: what a failover, a restart or a network split does. */
export class TcpFaultProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  private silent = false;
  private cutBefore: RegExp | undefined;
  /** Connections the proxy has cut, by any of its faults. */
  cuts = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: { readonly host: string; readonly port: number },
    /** The port clients connect to, in place of the target's. */
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpFaultProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new TcpFaultProxy(server, target, (server.address() as AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  private accept(client: Socket): void {
    // A server that is down: the connection ends before a byte is exchanged.
    if (this.refusing) return void client.destroy();
    // A server that took the connection and says nothing: only a timeout ends the wait.
    if (this.silent) {
      const held: [Socket, Socket] = [client, client];
      this.pairs.add(held);
      client.on('error', () => this.pairs.delete(held));
      client.on('close', () => this.pairs.delete(held));
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (this.cutBefore?.test(chunk.toString('latin1'))) {
        // The message never reaches the server: what it would have done is not done.
        this.cutBefore = undefined;
        this.cuts++;
        return end();
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const socket of pair) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }

  /** Breaks every open connection now, wherever its conversation was. */
  cut(): void {
    for (const [client, upstream] of this.pairs) {
      this.cuts++;
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Breaks the connection that next sends a message matching `pattern` (e.g. /commit/i), before it arrives. */
  cutBeforeNext(pattern: RegExp): void {
    this.cutBefore = pattern;
  }

  /** The server is gone: open connections break and new ones end at once, until restore(). */
  down(): void {
    this.refusing = true;
    this.cut();
  }

  /** The server hangs: open connections break, and new ones are taken and never answered, until restore(). */
  hang(): void {
    this.silent = true;
    this.cut();
  }

  restore(): void {
    // Connections held silent stay useless: end them, as the restarted server would.
    if (this.silent) this.cut();
    this.refusing = false;
    this.silent = false;
    this.cutBefore = undefined;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** DynamoDB's answer when a table's capacity or the account's request rate is exceeded. */
const THROTTLED = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded.',
});

/**
 * An HTTP proxy in front of DynamoDB (Local) that answers requests with DynamoDB's throttling error while
 * told to: the SDK's retries, and what the platform does once they are used up, meet the real shape.
 */
export class DynamoDbThrottle {
  private remaining = 0;
  /** Requests answered with the throttling error. */
  throttled = 0;

  private constructor(
    private readonly server: HttpServer,
    /** Use as the DynamoDB endpoint. */
    readonly endpoint: string,
  ) {}

  static async start(target: string): Promise<DynamoDbThrottle> {
    const upstream = new URL(target);
    let self: DynamoDbThrottle | undefined; // eslint-disable-line prefer-const
    const server = createHttpServer((req, res) => {
      if (self!.remaining > 0) {
        self!.remaining--;
        self!.throttled++;
        req.resume();
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'throttled' });
        return void res.end(THROTTLED);
      }
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    self = new DynamoDbThrottle(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** Throttles the next `requests` requests (Infinity: until restore()). */
  throttle(requests: number): void {
    this.remaining = requests;
  }

  restore(): void {
    this.remaining = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
