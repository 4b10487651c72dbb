/*
 * The analytics export: every event of the platform bus, one row each, in Parquet files under a prefix per
 * day. The analytics stack (Firehose, the Glue table Athena reads) and the local writer share this layout, so
 * a query written against `npm start`'s files runs unchanged on Athena.
 */

/** A column of the exported events, in Glue's (Hive's) type names. */
export interface AnalyticsColumn {
  readonly name: string;
  readonly type: 'string' | 'timestamp';
  readonly comment: string;
  /** The key of the EventBridge event it is read from, where that is not the column's name. */
  readonly jsonKey?: string;
}

export const ANALYTICS = {
  /** A day's events are under `events/dt=YYYY-MM-DD/` (UTC): Hive's partition layout, which Athena projects. */
  eventsPrefix: 'events/',
  /** Records Firehose could not convert, kept for a look rather than lost. */
  errorsPrefix: 'errors/',
  partitionKey: 'dt',
  /** Glue's table of the events. */
  tableName: 'events',
  /**
   * The envelope EventBridge delivers (`eventEnvelope` in platform-events.ts). The envelope names no
   * institution; events about one carry `institutionId` in their detail, which Athena reads with
   * `json_extract_scalar(detail, '$.institutionId')`.
   */
  columns: [
    { name: 'id', type: 'string', comment: "EventBridge's id of the event" },
    { name: 'source', type: 'string', comment: 'The publishing domain, e.g. lms.core' },
    {
      name: 'detail_type',
      type: 'string',
      comment: 'What happened, e.g. enrollment.created',
      // Hive's column names take no hyphen.
      jsonKey: 'detail-type',
    },
    { name: 'time', type: 'timestamp', comment: 'When the event happened (UTC)' },
    {
      name: 'detail',
      type: 'string',
      comment: "The event's detail as JSON text; core events carry eventId and occurredAt",
    },
  ] as const satisfies readonly AnalyticsColumn[],
} as const;

/** The key prefix of one day's events: `events/dt=2026-12-07/`. */
export const analyticsDayPrefix = (day: Date): string =>
  `${ANALYTICS.eventsPrefix}${ANALYTICS.partitionKey}=${day.toISOString().slice(0, 10)}/`;
