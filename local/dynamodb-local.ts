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

/** Starts AWS's DynamoDB Local (the jar shipped by amplify-dynamodb-simulator) in memory on a free port. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const dir = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  const port = await freePort();
  const child = spawn(
    process.env.JAVA ?? 'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
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
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`);
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
