import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { CORE_SERVICE } from '#contracts/resources';
import { connectPostgres } from './connect';
import { migrateToLatest } from './migrate';

// The deploy-time migration step's Lambda handler. It lives beside the code it runs, not in lambda/:
// only the core service's code knows its database.
const secrets = new SecretsManagerClient({});
const logger = new Logger();

/** The fields of the secret RDS generates for its master user. */
const databaseSecret = z.object({
  host: z.string(),
  port: z.coerce.number().int(),
  dbname: z.string(),
  username: z.string(),
  password: z.string(),
});

/**
 * Runs at deploy time (a CloudFormation trigger), before new service tasks start: applies pending SQL
 * migrations copied beside this bundle. Failing here fails the deployment, and the old tasks keep serving.
 */
export const handler = async (): Promise<{ applied: string[] }> => {
  const arn = process.env[CORE_SERVICE.env.databaseSecretArn];
  if (!arn) throw new Error(`Missing environment: ${CORE_SERVICE.env.databaseSecretArn}`);
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  const s = databaseSecret.parse(JSON.parse(secret.SecretString ?? '{}'));
  const db = connectPostgres({
    host: s.host,
    port: s.port,
    database: s.dbname,
    user: s.username,
    password: s.password,
    tls: true,
    maxConnections: 1,
  });
  try {
    const result = await migrateToLatest(db, join(__dirname, 'migrations'));
    const applied = (result.results ?? []).map((r) => r.migrationName);
    logger.info('Migrations applied', { applied });
    return { applied };
  } finally {
    await db.destroy();
  }
};
