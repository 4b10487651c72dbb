import { once } from 'node:events';
import { createServer } from 'node:net';
import Fastify from 'fastify';
import { bindHttpServer, type BoundServer } from '#local/bound-server';

let bound: BoundServer | undefined;
afterEach(async () => {
  await bound?.close();
  bound = undefined;
});

/** The error another process meets listening on `port`, or undefined if it gets the port. */
async function listenError(port: number, host: string): Promise<string | undefined> {
  const other = createServer().listen(port, host);
  try {
    await once(other, 'listening');
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  } finally {
    other.close();
  }
}

test('port 0 is bound once and held: nobody else can listen there, before or after Fastify is ready', async () => {
  bound = await bindHttpServer('127.0.0.1', 0);
  expect(bound.port).toBeGreaterThan(0);
  expect(await listenError(bound.port, '127.0.0.1')).toBe('EADDRINUSE');

  const app = Fastify({ serverFactory: (handler) => bound!.serverFactory(handler) });
  app.get('/health', async () => ({ ok: true }));
  const url = `http://127.0.0.1:${bound.port}/health`;
  // Bound while the app is still being built: refused as not yet available, never a hang or a 404.
  const early = await fetch(url);
  expect(early.status).toBe(503);
  expect(early.headers.get('retry-after')).toBe('1');
  expect(early.headers.get('content-type')).toBe('application/problem+json');
  expect(await early.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });

  await app.ready();
  bound.open();
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
  expect(await listenError(bound.port, '127.0.0.1')).toBe('EADDRINUSE');

  await app.close();
  await bound.close();
  bound = undefined;
  // Closed means released: the port is free again.
  expect(await listenError(Number(new URL(url).port), '127.0.0.1')).toBeUndefined();
});

test("'localhost' is bound at one port on each of its addresses, as fastify.listen does", async () => {
  bound = await bindHttpServer('localhost', 0);
  const app = Fastify({ serverFactory: (handler) => bound!.serverFactory(handler) });
  app.get('/', async () => 'here');
  await app.ready();
  bound.open();
  const res = await fetch(`http://127.0.0.1:${bound.port}/`);
  expect(await res.text()).toBe('here');
  await app.close();
});

test('an asked port that another process holds fails at once with EADDRINUSE', async () => {
  const holder = createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const { port } = holder.address() as { port: number };
  try {
    await expect(bindHttpServer('127.0.0.1', port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  } finally {
    holder.close();
  }
});
