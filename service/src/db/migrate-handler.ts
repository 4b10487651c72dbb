import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import { CORE_SERVICE } from '#contracts/resources';
import { grantAppRole } from './app-role';
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

const readSecret = async (envName: string) => {
  const arn = process.env[envName];
  if (!arn) throw new Error(`Missing environment: ${envName}`);
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  return databaseSecret.parse(JSON.parse(secret.SecretString ?? '{}'));
};

/**
 * Runs at deploy time (a CloudFormation trigger), before new service tasks start: applies pending SQL
 * migrations copied beside this bundle as the master user, then gives the service's login role its
 * privileges on whatever the migrations made, and its secret's password. Failing here fails the deployment,
 * and the old tasks keep serving.
 */
export const handler = async (): Promise<{ applied: string[] }> => {
  const [s, app] = await Promise.all([
    readSecret(CORE_SERVICE.env.databaseSecretArn),
    readSecret(CORE_SERVICE.env.appSecretArn),
  ]);
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
    await grantAppRole(db as Kysely<unknown>, { username: app.username, password: app.password });
    logger.info('Migrations applied; the service role granted', { applied, serviceRole: app.username });
    return { applied };
  } finally {
    await db.destroy();
  }
};
