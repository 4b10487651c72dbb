import { complianceOf } from '#lib/config/institution-config';
import { loadConfig } from '#lib/config/load-config';
import { connectEmbedded, connectPostgres } from '#service/db/connect';
import { migrateToLatest } from '#service/db/migrate';
import { DEMO_IDENTITIES } from './demo-identities';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { startLocalPlatform } from './platform';

/** `npm start`: the whole platform on this machine, with no AWS account. */
async function main() {
  const config = loadConfig(process.env.INSTITUTION ?? 'default');
  let dynamo: DynamoDbLocal | undefined;
  const endpoint = process.env.DYNAMODB_ENDPOINT ?? (dynamo = await startDynamoDbLocal()).endpoint;
  const databaseUrl = process.env.DATABASE_URL;
  const database = databaseUrl ? connectPostgres({ connectionString: databaseUrl }) : await connectEmbedded();
  await migrateToLatest(database);
  const platform = await startLocalPlatform({
    database,
    compliance: complianceOf(config),
    dynamoEndpoint: endpoint,
    port: Number(process.env.PORT ?? 3000),
    appOrigins: config.cors.allowedOrigins,
    vod: {
      maxUploadBytes: config.video.maxUploadGiB * 1024 ** 3,
      playbackCookieMinutes: config.video.playbackCookieMinutes,
      monthlyTranscodeMinutes: config.video.monthlyTranscodeMinutes,
    },
    live: { rtmpPort: Number(process.env.RTMP_PORT ?? 1935), record: config.live.recording },
  });
  console.log(`${config.institution.name} (local) on ${platform.url}`);
  console.log(`  DynamoDB: ${endpoint}${dynamo ? ' (DynamoDB Local, in memory)' : ''}`);
  console.log(
    `  Postgres: ${databaseUrl ? databaseUrl.replace(/:[^:@/]*@/, ':***@') : 'embedded PGlite, in memory'}`,
  );
  console.log(
    `  Tokens:   POST ${platform.url}/local/token {"role":"learner"}  (demo identities: ${DEMO_IDENTITIES.map((d) => d.id).join(', ')})`,
  );
  console.log(`  Browser:  ${platform.url}/auth/login`);
  console.log(`  Mail:     ${platform.url}/local/mail  (what Cognito and SES sent)`);
  console.log(
    `  Videos:   ${platform.vod.playbackOrigin} (signed cookies from POST /contents/{id}/playback)`,
  );
  console.log(
    `  Live:     local IVS; stream to ${platform.live.rtmpUrl}<stream key> (POST /lectures/{id}/stream-key)`,
  );
  console.log(`  Rules:    compliance profile ${config.compliance.profile}`);

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
