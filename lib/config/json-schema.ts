import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import * as z from 'zod';
import { institutionConfigSchema } from './institution-config';
import { CONFIG_DIR, SCHEMA_FILE } from './load-config';

/**
 * config/institution.schema.json: the institution config's JSON Schema, generated from the zod schema, so an
 * editor completes, explains and checks a config as it is typed (`"$schema": "./institution.schema.json"`).
 * It describes the file as written (zod's input side: defaults may be left out). The rules between fields
 * (prod needs sizing, a domain needs a region...) are only in the zod schema: synth checks them.
 * Regenerate: `npm run config:schema`; a test fails when the committed file is stale.
 */
export const SCHEMA_PATH = join(CONFIG_DIR, SCHEMA_FILE);

export async function institutionJsonSchema(): Promise<string> {
  const schema = z.toJSONSchema(institutionConfigSchema, { io: 'input', unrepresentable: 'any' });
  const document = {
    ...schema,
    title: 'Institution config',
    description:
      'One institution’s platform: what a fork edits, selected with `cdk deploy -c institution=<name>`. ' +
      'Generated from lib/config/institution-config.ts by `npm run config:schema`; synth checks the rules ' +
      'between fields that this schema cannot express.',
  };
  const options = await resolveConfig(SCHEMA_PATH);
  return format(JSON.stringify(document), { ...options, filepath: SCHEMA_PATH });
}

if (require.main === module) {
  void institutionJsonSchema().then((text) => {
    writeFileSync(SCHEMA_PATH, text);
    console.log(`wrote ${SCHEMA_PATH}`);
  });
}
