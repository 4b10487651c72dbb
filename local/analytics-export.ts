import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ANALYTICS, analyticsDayPrefix } from '#contracts/analytics';
import type { EventEnvelope } from '#contracts/platform-events';
import { esmImporter } from './import-esm';

/** Rows a file holds at most: a batch that reaches it is written at once, as Firehose's buffer size does. */
const DEFAULT_MAX_ROWS = 1000;
/** Firehose's shortest buffer interval. */
const DEFAULT_FLUSH_EVERY_MS = 60_000;

export interface LocalAnalyticsExportOptions {
  readonly s3: S3Client;
  /** The local stand-in for the analytics stack's export bucket. */
  readonly bucket: string;
  /** @default 1000 */
  readonly maxRows?: number;
  /** How often gathered events are written; 0: only on `flush()`, a full batch and `close()`. @default 60000 */
  readonly flushEveryMs?: number;
  /** When an event arrived, which names its day's prefix as Firehose's `!{timestamp}` does. @default the system clock */
  readonly clock?: () => Date;
  /** @default nothing */
  readonly log?: (line: string) => void;
}

interface Row {
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
  readonly time: Date;
  readonly detail: string;
}

/**
 * The analytics stack's Firehose stream on one machine: it receives every event of the local bus, gathers
 * them, and writes each batch as one Parquet file (hyparquet-writer) into the local object store under
 * `events/dt=YYYY-MM-DD/`, with the Glue table's columns, so the same queries read both.
 *
 * The day is that of the batch's first arrival (UTC), as Firehose names an object by its oldest record.
 * Like Firehose, it writes what it is given: an event delivered twice (EventBridge and the outbox relay
 * deliver at least once) is written twice, so queries count distinct `id`s here as they must on Athena. A
 * batch whose write fails stays for the next flush, as Firehose retries its delivery.
 */
export class LocalAnalyticsExport {
  private batch: Row[] = [];
  private batchDay: Date | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly maxRows: number;
  private readonly clock: () => Date;
  private readonly log: (line: string) => void;
  /** Keys of the files written so far, oldest first. */
  readonly keys: string[] = [];

  constructor(private readonly options: LocalAnalyticsExportOptions) {
    this.maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    this.clock = options.clock ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    const every = options.flushEveryMs ?? DEFAULT_FLUSH_EVERY_MS;
    if (every > 0) {
      this.timer = setInterval(
        () => void this.flush().catch((e: Error) => this.log(`analytics export: ${e.message}`)),
        every,
      );
      this.timer.unref();
    }
  }

  /** The bus's delivery of one event (an EventHandler). */
  readonly receive = async (e: EventEnvelope): Promise<void> => {
    this.batchDay ??= this.clock();
    this.batch.push({
      id: e.id,
      source: e.source,
      detailType: e['detail-type'],
      time: new Date(e.time),
      detail: JSON.stringify(e.detail),
    });
    if (this.batch.length >= this.maxRows) await this.flush();
  };

  /** Writes what has been gathered, if anything; resolves when every write started so far has ended. */
  flush(): Promise<void> {
    const run = this.writing.then(() => this.writeBatch());
    // A failed write leaves its rows for the next one; the chain goes on.
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async writeBatch(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    const day = this.batchDay!;
    this.batch = [];
    this.batchDay = undefined;
    const key = `${analyticsDayPrefix(day)}lms-local-events-${day.toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.parquet`;
    try {
      const body = await parquetOf(rows);
      await this.options.s3.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body }));
    } catch (e) {
      // Back in front of anything that arrived meanwhile, under the older day, for the next flush.
      this.batch = [...rows, ...this.batch];
      this.batchDay = day;
      throw e;
    }
    this.keys.push(key);
    this.log(`analytics export: ${rows.length} events to ${key}`);
  }
}

// hyparquet-writer ships ES modules only (see import-esm.ts).
const importEsm = esmImporter();

/** The rows as one Parquet file with the Glue table's columns (contracts/analytics.ts). */
async function parquetOf(rows: readonly Row[]): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await importEsm<typeof import('hyparquet-writer')>('hyparquet-writer');
  const data: Record<(typeof ANALYTICS.columns)[number]['name'], unknown[]> = {
    id: rows.map((r) => r.id),
    source: rows.map((r) => r.source),
    detail_type: rows.map((r) => r.detailType),
    time: rows.map((r) => r.time),
    detail: rows.map((r) => r.detail),
  };
  const buffer = parquetWriteBuffer({
    columnData: ANALYTICS.columns.map((c) => ({
      name: c.name,
      data: data[c.name],
      type: c.type === 'timestamp' ? ('TIMESTAMP' as const) : ('STRING' as const),
    })),
  });
  return new Uint8Array(buffer);
}
