import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLES, type TableName, type TableSpec } from '#contracts/resources';

/** Credentials and region DynamoDB Local accepts; it checks neither. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Gives the port to try next. @default a port the system reports free at that moment */
  readonly pickPort?: () => Promise<number>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs = 30000): Promise<void> {
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with ${child.exitCode}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not start: ${(e as Error).message}`);
        await delay(100); // polling a starting JVM; there is no readiness event to wait on
      }
    }
  } finally {
    client.destroy();
  }
}

/** What Jetty writes once DynamoDB Local has the port, and when another process had it first. */
const BOUND = /Started ServerConnector@\S+\{[^}]*\}\{[^}]*:(\d+)\}/;
const IN_USE = /Failed to bind|BindException: Address already in use/;
const ATTEMPTS = 5;

/**
 * Starts DynamoDB Local on `port` and waits for Jetty to say whether it bound it. Only that says the port is
 * this child's: DynamoDB Local does not exit when the port is taken, and an endpoint answering ListTables
 * could be another process's (another jest worker's DynamoDB Local) on the port it took in between.
 */
async function spawnOn(dir: string, port: number, timeoutMs = 30000) {
  const child = spawn(
    process.env.JAVA ?? 'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      // The jar's jetty-logging.properties misnames StdErrLog, leaving Jetty silent; the connector's line is
      // the only sign that the port was bound.
      '-Dorg.eclipse.jetty.util.log.class=org.eclipse.jetty.util.log.StdErrLog',
      '-Dorg.eclipse.jetty.server.AbstractConnector.LEVEL=INFO',
      '-Xmx512m',
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const outcome = await new Promise<'bound' | 'in use' | Error>((resolve) => {
    const timer = setTimeout(
      () => resolve(new Error(`DynamoDB Local did not bind port ${port} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = (result: 'bound' | 'in use' | Error) => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', settle);
      resolve(result);
    };
    const onData = (d: Buffer) => {
      stderr += d.toString();
      if (IN_USE.test(stderr)) settle('in use');
      else if (BOUND.exec(stderr)?.[1] === String(port)) settle('bound');
    };
    const onExit = (code: number | null) => settle(new Error(`DynamoDB Local exited with ${code}`));
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', settle);
  });
  // Later output is drained and kept for an error message.
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  if (outcome === 'bound') return { child, stderr: () => stderr };
  child.kill('SIGKILL');
  if (outcome === 'in use') return 'in use' as const;
  throw new Error(`${outcome.message}\n${stderr}`);
}

/**
 * Starts AWS's DynamoDB Local (the jar shipped by amplify-dynamodb-simulator) in memory on a free port. The
 * JVM takes the port itself, so a port is picked, and picked again if another process takes it first.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const dir = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  const pickPort = options.pickPort ?? freePort;
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort();
    const started = await spawnOn(dir, port);
    if (started === 'in use') {
      if (attempt < ATTEMPTS) continue;
      throw new Error(`DynamoDB Local found each of ${ATTEMPTS} free ports taken before it bound them`);
    }
    const { child } = started;
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilReady(endpoint, child);
    } catch (e) {
      child.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n${started.stderr()}`);
    }
    return {
      endpoint,
      async stop() {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await once(child, 'exit');
      },
    };
  }
}

/** Creates the platform's tables, named `<prefix><name>`, as the data stack defines them. */
export async function createTables(endpoint: string, prefix: string): Promise<Record<TableName, string>> {
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  const names = {} as Record<TableName, string>;
  try {
    for (const [name, spec] of Object.entries(TABLES) as [TableName, TableSpec][]) {
      const tableName = `${prefix}${name}`;
      const keySchema = (partitionKey: string, sortKey?: string) => [
        { AttributeName: partitionKey, KeyType: 'HASH' as const },
        ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
      ];
      const indexes = Object.entries(spec.indexes ?? {});
      const attributes = new Set(
        [spec, ...indexes.map(([, i]) => i)].flatMap((k) => [k.partitionKey, k.sortKey ?? []].flat()),
      );
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: keySchema(spec.partitionKey, spec.sortKey),
          AttributeDefinitions: [...attributes].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
          ...(indexes.length
            ? {
                GlobalSecondaryIndexes: indexes.map(([IndexName, i]) => ({
                  IndexName,
                  KeySchema: keySchema(i.partitionKey, i.sortKey),
                  Projection: { ProjectionType: 'ALL' },
                })),
              }
            : {}),
        }),
      );
      if (spec.timeToLiveAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: spec.timeToLiveAttribute, Enabled: true },
          }),
        );
      }
      names[name] = tableName;
    }
  } finally {
    client.destroy();
  }
  return names;
}
