import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ANALYTICS, analyticsDayPrefix } from '#contracts/analytics';
import type { EventEnvelope } from '#contracts/platform-events';
import { esmImporter } from './import-esm';

/** Rows a file holds at most: a batch that reaches it is written at once, as Firehose's buffer size does. */
const DEFAULT_MAX_ROWS = 1000;
/** Firehose's shortest buffer interval. */
const DEFAULT_FLUSH_EVERY_MS = 60_000;
/** Ids of written events remembered to drop a redelivery in a later batch; older ones are forgotten. */
const REMEMBERED_IDS = 100_000;

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
 * Redelivery: an event id is written at most once in a batch, and not again while it is among the last
 * 100,000 ids this writer wrote; across restarts, or a failed write retried, delivery is at least once, as
 * Firehose's is, so queries count distinct `id`s. A batch whose write fails stays for the next flush.
 */
export class LocalAnalyticsExport {
  private batch = new Map<string, Row>();
  private batchDay: Date | undefined;
  private readonly written = new Set<string>();
  /** Ids of the batch being written: a redelivery meanwhile is neither in the batch nor written yet. */
  private readonly inFlight = new Set<string>();
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
    if (this.written.has(e.id) || this.inFlight.has(e.id) || this.batch.has(e.id)) return;
    this.batchDay ??= this.clock();
    this.batch.set(e.id, {
      id: e.id,
      source: e.source,
      detailType: e['detail-type'],
      time: new Date(e.time),
      detail: JSON.stringify(e.detail),
    });
    if (this.batch.size >= this.maxRows) await this.flush();
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
    if (this.batch.size === 0) return;
    const rows = [...this.batch.values()];
    const day = this.batchDay!;
    this.batch = new Map();
    this.batchDay = undefined;
    for (const r of rows) this.inFlight.add(r.id);
    const key = `${analyticsDayPrefix(day)}lms-local-events-${day.toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.parquet`;
    try {
      const body = await parquetOf(rows);
      await this.options.s3.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body }));
    } catch (e) {
      // Back in front of anything that arrived meanwhile, under the older day, for the next flush.
      const retry = new Map(rows.map((r) => [r.id, r]));
      for (const [id, r] of this.batch) retry.set(id, r);
      this.batch = retry;
      this.batchDay = day;
      throw e;
    } finally {
      for (const r of rows) this.inFlight.delete(r.id);
    }
    this.keys.push(key);
    for (const r of rows) this.remember(r.id);
    this.log(`analytics export: ${rows.length} events to ${key}`);
  }

  private remember(id: string): void {
    this.written.add(id);
    if (this.written.size > REMEMBERED_IDS) {
      // A Set iterates in insertion order: the first is the oldest.
      this.written.delete(this.written.values().next().value!);
    }
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
