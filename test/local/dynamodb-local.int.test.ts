import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS, startDynamoDbLocal } from '#local/dynamodb-local';

test('a port another process takes before the JVM binds it is given up for another one', async () => {
  // Another process on the first port offered, as a parallel worker taking it between the pick and the bind.
  const taker = createServer();
  const takerConnections: Socket[] = [];
  taker.on('connection', (socket) => {
    takerConnections.push(socket);
    socket.destroy();
  });
  taker.listen(0, '0.0.0.0');
  await once(taker, 'listening');
  const taken = (taker.address() as { port: number }).port;
  const offered: number[] = [];
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const free = (probe.address() as { port: number }).port;
  probe.close();
  const ports = [taken, free];

  const dynamo = await startDynamoDbLocal({
    pickPort: async () => {
      const port = ports.shift()!;
      offered.push(port);
      return port;
    },
  });
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  try {
    expect(offered).toEqual([taken, free]);
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${free}`);
    expect(await client.send(new ListTablesCommand({}))).toMatchObject({ TableNames: [] });
    // Readiness was never read from the taken port's process.
    expect(takerConnections).toHaveLength(0);
  } finally {
    client.destroy();
    await dynamo.stop();
    taker.close();
  }
});
