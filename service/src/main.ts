import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { createAccessTokenVerifier } from '#contracts/access-token';
import { CORE_SERVICE, ENV, EVENTS } from '#contracts/resources';
import {
  COMPLIANCE_PROFILE_ENV,
  COMPLIANCE_PROFILES,
  complianceProfile,
} from '#contracts/compliance-profiles';
import { buildCoreService } from './app';
import { connectEmbedded, connectPostgres } from './db/connect';
import { MIGRATIONS_DIR, migrateToLatest } from './db/migrate';
import { secretPassword } from './db/secret-password';
import { coreEventHandlers } from './events/handlers';
import { eventBridgePublisher } from './events/publisher';
import { startEventWorkers } from './events/workers';
import { startExamTimer } from './exams/exam-timer';
import {
  AUDIT_ARCHIVE_KEEP_MONTHS,
  startAuditArchive,
  type AuditArchiveStore,
} from './learning/audit-archive';
import { startAuditPartitions } from './learning/audit-partitions';
import { startViewingRunsCloser } from './learning/viewing-runs';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Missing environment: ${name}`);
  return value;
}

/**
 * The container's entry point. In AWS the connection settings come from the database secret (the password
 * read at each new connection, since it rotates) and migrations ran at deploy; elsewhere DATABASE_URL (or nothing, for embedded PGlite) and migrations run at start.
 */
async function main() {
  const e = CORE_SERVICE.env;
  const inAws = Boolean(process.env[e.databaseHost]);
  const db = inAws
    ? connectPostgres({
        host: required(e.databaseHost),
        port: Number(required(e.databasePort)),
        database: required(e.databaseName),
        user: required(e.databaseUser),
        password: secretPassword(new SecretsManagerClient({}), required(e.databaseSecretArn)),
        tls: true,
      })
    : process.env[e.databaseUrl]
      ? connectPostgres({ connectionString: process.env[e.databaseUrl]! })
      : await connectEmbedded();
  // A bundle cannot find the SQL files relative to its source: the image says where it put them.
  if (!inAws) await migrateToLatest(db, process.env.MIGRATIONS_DIR ?? MIGRATIONS_DIR);
  const clientIds = process.env[ENV.tokenClientIds]?.split(',').filter(Boolean);
  const compliance = process.env[COMPLIANCE_PROFILE_ENV];
  const profile = compliance ? complianceProfile.parse(JSON.parse(compliance)) : COMPLIANCE_PROFILES.standard;
  const archiveBucket = process.env[e.auditArchiveBucket];
  const auditArchive: AuditArchiveStore | undefined = archiveBucket
    ? { s3: new S3Client({}), bucket: archiveBucket }
    : undefined;
  const keepMonths = z.coerce
    .number()
    .int()
    .min(0)
    .parse(process.env[e.auditArchiveKeepMonths] ?? String(AUDIT_ARCHIVE_KEEP_MONTHS));
  const app = await buildCoreService({
    db,
    compliance: profile,
    verifyToken: createAccessTokenVerifier({
      issuer: required(ENV.tokenIssuer),
      jwksUri: required(ENV.tokenJwksUri),
      clientIds: clientIds?.length ? clientIds : null,
    }),
    logger: true,
    appOrigins: process.env[ENV.appOrigins]?.split(',').filter(Boolean) ?? [],
    ...(auditArchive ? { auditArchive } : {}),
  });
  await app.listen({ port: Number(process.env.PORT ?? CORE_SERVICE.port), host: '0.0.0.0' });

  // Without a bus (a container run by hand), events wait in the outbox until one is configured.
  const busName = process.env[EVENTS.busNameEnv];
  const queueUrl = process.env[e.eventsQueueUrl];
  const log = { warn: (message: string, fields: Record<string, unknown>) => app.log.warn(fields, message) };
  const workers = [
    startEventWorkers({
      db,
      ...(busName ? { publish: eventBridgePublisher(new EventBridgeClient({}), busName) } : {}),
      ...(busName && queueUrl
        ? {
            queue: {
              sqs: new SQSClient({}),
              url: queueUrl,
              handlers: coreEventHandlers(db, log, { compliance: profile }),
            },
          }
        : {}),
      log,
    }),
    startExamTimer({ db, compliance: profile, log }),
    startAuditPartitions({ db, log }),
    startViewingRunsCloser({ db, log }),
    // Without the bucket the export could not read what was archived, so nothing is.
    ...(auditArchive ? [startAuditArchive({ db, ...auditArchive, keepMonths, log })] : []),
  ];

  // ECS stops a task with SIGTERM: finish requests and event passes in flight, then close the pool.
  process.once('SIGTERM', async () => {
    await Promise.all([app.close(), ...workers.map((w) => w.stop())]);
    await db.destroy();
    process.exit(0);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
