import { complianceOf } from '#lib/config/institution-config';
import { loadConfig } from '#lib/config/load-config';
import { connectEmbedded, connectPostgres } from '#service/db/connect';
import { migrateToLatest } from '#service/db/migrate';
import { seedDemoData } from './demo-data';
import { DEMO_IDENTITIES } from './demo-identities';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { startLocalPlatform } from './platform';

/** `npm start`: the whole platform on this machine, with no AWS account. */
async function main() {
  const booting = Date.now();
  const config = loadConfig(process.env.INSTITUTION ?? 'default');
  let dynamo: DynamoDbLocal | undefined;
  const endpoint = process.env.DYNAMODB_ENDPOINT ?? (dynamo = await startDynamoDbLocal()).endpoint;
  const databaseUrl = process.env.DATABASE_URL;
  const database = databaseUrl ? connectPostgres({ connectionString: databaseUrl }) : await connectEmbedded();
  await migrateToLatest(database);
  const analyticsOn = config.analytics.export.enabled || process.env.LMS_ANALYTICS === '1';
  const platform = await startLocalPlatform({
    database,
    compliance: complianceOf(config),
    dynamoEndpoint: endpoint,
    port: Number(process.env.PORT ?? 3000),
    appOrigins: config.cors.allowedOrigins,
    webApp: true,
    institutionName: config.institution.name,
    vod: {
      maxUploadBytes: config.video.maxUploadGiB * 1024 ** 3,
      playbackCookieMinutes: config.video.playbackCookieMinutes,
      monthlyTranscodeMinutes: config.video.monthlyTranscodeMinutes,
    },
    live: { rtmpPort: Number(process.env.RTMP_PORT ?? 1935), record: config.live.recording },
    auditArchiveKeepMonths: config.audit.archive.keepMonths,
    // As the config deploys it, or LMS_ANALYTICS=1 to try it with a config that leaves it off.
    ...(analyticsOn ? { analytics: { flushEveryMs: config.analytics.export.bufferSeconds * 1000 } } : {}),
  });
  console.log(`listening on ${platform.url} after ${Date.now() - booting} ms`);
  // LMS_DEMO=0: an empty platform, for trying a first sign-up or an import by hand.
  const demo = process.env.LMS_DEMO !== '0';
  // A demo that could not be made leaves the platform running, empty, with the reason above the banner.
  if (demo)
    await seedDemoData(platform, { institutionName: config.institution.name }).catch((e: Error) =>
      console.error(`demo: not seeded: ${e.message}`),
    );
  const learner = DEMO_IDENTITIES.find((d) => d.id === 'learner')!;
  console.log(`
${config.institution.name} (local): open ${platform.url}/ and sign in as the demo learner (${learner.name}).
  People:   ${DEMO_IDENTITIES.map((d) => `${d.id} (${d.roles.join(', ')})`).join(', ')}
            one click each on the sign-in page; or POST ${platform.url}/local/token {"identity":"learner"}
  Demo:     ${demo ? 'a published course with two videos, a checklist and a final exam the learners are enrolled in; an open session in the catalog' : 'off (LMS_DEMO=0)'}
  API:      ${platform.url}/docs  (the reference; the document is /openapi.json)
  Mail:     ${platform.url}/local/mail  (what Cognito and SES sent)
  Videos:   ${platform.vod.playbackOrigin} (signed cookies from POST /contents/{id}/playback)
  Live:     local IVS; stream to ${platform.live.rtmpUrl}<stream key> (POST /lectures/{id}/stream-key)
  Health:   ${platform.url}/health
  DynamoDB: ${endpoint}${dynamo ? ' (DynamoDB Local, in memory)' : ''}
  Postgres: ${databaseUrl ? databaseUrl.replace(/:[^:@/]*@/, ':***@') : 'embedded PGlite, in memory'}
  Rules:    compliance profile ${config.compliance.profile}
  Analytics: ${platform.analytics ? `events as Parquet in ${platform.vod.s3Endpoint}/${platform.analytics.bucket}/events/ every ${config.analytics.export.bufferSeconds} s` : 'off (analytics.export.enabled, or LMS_ANALYTICS=1)'}
`);

  const stop = async () => {
    await platform.close();
    await database.destroy();
    await dynamo?.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
