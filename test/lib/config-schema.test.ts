import { readFileSync } from 'node:fs';
import { institutionJsonSchema, SCHEMA_PATH } from '#lib/config/json-schema';
import { CONFIG_DIR, configNames } from '#lib/config/load-config';

interface JsonSchema {
  readonly description?: string;
  readonly properties?: Record<string, JsonSchema>;
  readonly items?: JsonSchema | false;
  readonly anyOf?: readonly JsonSchema[];
}

/** Every field's path under `schema` that has no description, through lists and alternatives. */
function undescribed(schema: JsonSchema, path = ''): string[] {
  const fields = Object.entries(schema.properties ?? {}).flatMap(([key, field]) => {
    const at = path ? `${path}.${key}` : key;
    return [...(field.description ? [] : [at]), ...undescribed(field, at)];
  });
  const items = schema.items ? undescribed(schema.items, `${path}[]`) : [];
  return [...fields, ...items, ...(schema.anyOf ?? []).flatMap((alt) => undescribed(alt, path))];
}

describe('config/institution.schema.json', () => {
  const committed = readFileSync(SCHEMA_PATH, 'utf8');

  it('is what the zod schema generates: run `npm run config:schema` after changing it', async () => {
    expect(committed).toBe(await institutionJsonSchema());
  });

  it('describes every field of a config', () => {
    expect(undescribed(JSON.parse(committed) as JsonSchema)).toEqual([]);
  });

  it('is where the configs that name a schema point', () => {
    for (const name of configNames()) {
      const config = JSON.parse(readFileSync(`${CONFIG_DIR}/${name}.json`, 'utf8')) as { $schema?: string };
      if (config.$schema !== undefined)
        expect({ name, $schema: config.$schema }).toEqual({ name, $schema: './institution.schema.json' });
    }
  });
});
