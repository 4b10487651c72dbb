import { localClient, type LocalClient } from '#local/demo-data';
import { startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from '#local/platform';
import { testDatabase, type TestDatabase } from '../service/test-database';

/** A local platform for one test file, with its people's tokens and calls as a client makes them. */
export interface LocalPlatformFixture {
  /** Started in the file's beforeAll. */
  readonly platform: LocalPlatform;
  /** A demo person's access token from the local issuer, minted once per file. */
  tokenFor(identity: string): Promise<string>;
  /** A request as that person, the token in the session cookie. */
  send(who: string, method: string, path: string, body?: unknown): Promise<Response>;
  /** `send`, expecting `status`; the answer parsed (undefined when empty). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field in tests
  call(who: string, method: string, path: string, body?: unknown, status?: number): Promise<any>;
}

/**
 * Starts the local platform for the file that calls it (its own database and table prefix, the lecture
 * sweeper off) and closes it after the file.
 */
export function useLocalPlatform(
  name: string,
  options: Partial<LocalPlatformOptions> = {},
): LocalPlatformFixture {
  let platform: LocalPlatform | undefined;
  let client: LocalClient | undefined;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testDatabase(`local_${name}`);
    platform = await startLocalPlatform({
      database: database.db,
      dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
      port: 0,
      host: '127.0.0.1',
      tablePrefix: `${name}-${process.pid}-`,
      log: () => undefined,
      live: { sweepEveryMs: 0 },
      ...options,
    });
    client = localClient(platform.url);
  });
  afterAll(async () => {
    await platform?.close();
    await database.close();
  });

  const started = () => {
    if (!platform) throw new Error('The local platform starts in beforeAll');
    return platform;
  };
  const clientOf = () => {
    started();
    return client!;
  };
  const tokenFor = (identity: string) => clientOf().tokenFor(identity);
  const send = (who: string, method: string, path: string, body?: unknown) =>
    clientOf().send(who, method, path, body);
  return {
    get platform() {
      return started();
    },
    tokenFor,
    send,
    async call(who, method, path, body, status = 200) {
      const res = await send(who, method, path, body);
      const text = await res.text();
      expect([method, path, res.status, text]).toEqual([method, path, status, expect.anything()]);
      return text ? JSON.parse(text) : undefined;
    },
  };
}
