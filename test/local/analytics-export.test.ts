import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { EventEnvelope } from '#contracts/platform-events';
import { LocalAnalyticsExport } from '#local/analytics-export';
import { esmImporter } from '#local/import-esm';

// hyparquet ships ES modules only (see local/import-esm.ts).
const importEsm = esmImporter();

const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3Mock = mockClient(s3);
beforeEach(() => s3Mock.reset());

const event = (n: number): EventEnvelope => ({
  id: `event-${n}`,
  source: 'lms.core',
  'detail-type': 'enrollment.created',
  time: `2026-12-31T23:5${n}:00.000Z`,
  detail: { eventId: `core-${n}`, n },
});

/** The rows of each Parquet file S3 was asked to store, by key. */
async function written(): Promise<{ key: string; rows: Record<string, unknown>[] }[]> {
  const { parquetReadObjects } = await importEsm<typeof import('hyparquet')>('hyparquet');
  return Promise.all(
    s3Mock.commandCalls(PutObjectCommand).map(async (call) => {
      const body = call.args[0].input.Body as Uint8Array;
      const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
      return { key: call.args[0].input.Key!, rows: await parquetReadObjects({ file }) };
    }),
  );
}

describe('local analytics export', () => {
  it('keeps a batch whose write failed, with what came meanwhile, under its first day; a redelivery is written again, as Firehose writes what it gets', async () => {
    let now = new Date('2026-12-31T23:59:00Z');
    const exporter = new LocalAnalyticsExport({ s3, bucket: 'analytics', flushEveryMs: 0, clock: () => now });
    s3Mock.on(PutObjectCommand).rejectsOnce(new Error('SlowDown')).resolves({});
    await exporter.receive(event(1));
    await exporter.receive(event(2));
    await expect(exporter.flush()).rejects.toThrow('SlowDown');
    expect(exporter.keys).toEqual([]);

    // Past midnight: a new event, and a redelivery of one still waiting.
    now = new Date('2027-01-01T00:01:00Z');
    await exporter.receive(event(3));
    await exporter.receive(event(1));
    await exporter.flush();
    const files = await written();
    expect(files).toHaveLength(2);
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'analytics',
      Key: expect.stringMatching(
        /^events\/dt=2026-12-31\/lms-local-events-2026-12-31T23-59-00-000Z-[\w-]+\.parquet$/,
      ),
    });
    expect(files[1]!.key).toBe(exporter.keys[0]);
    // Event 1 twice: once from the failed batch, once as redelivered.
    expect(files[1]!.rows).toEqual(
      [1, 2, 3, 1].map((n) => ({
        id: `event-${n}`,
        source: 'lms.core',
        detail_type: 'enrollment.created',
        time: new Date(`2026-12-31T23:5${n}:00.000Z`),
        detail: JSON.stringify({ eventId: `core-${n}`, n }),
      })),
    );

    // Delivered again after it was written: a file of its own, as Firehose would write it.
    await exporter.receive(event(2));
    await exporter.flush();
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(3);
    expect((await written())[2]!.rows.map((r) => r.id)).toEqual(['event-2']);
    // Nothing gathered, nothing asked of S3.
    await exporter.close();
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(3);
  });

  it('writes a batch as soon as it holds maxRows events, and what is left on close', async () => {
    const exporter = new LocalAnalyticsExport({ s3, bucket: 'analytics', maxRows: 2, flushEveryMs: 0 });
    s3Mock.on(PutObjectCommand).resolves({});
    await exporter.receive(event(1));
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    await exporter.receive(event(2));
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
    await exporter.receive(event(3));
    await exporter.close();
    expect((await written()).map((f) => f.rows.map((r) => r.id))).toEqual([
      ['event-1', 'event-2'],
      ['event-3'],
    ]);
  });
});
