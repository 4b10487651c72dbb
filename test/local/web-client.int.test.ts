import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { routes } from '#contracts/routes';
import { openApiDocument } from '#local/openapi';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const API_DIR = join(ROOT, 'web', 'src', 'api');
// openapi-typescript is an ES module jest cannot load, so the generator runs as `npm run openapi` does.
const check = (dir: string) =>
  run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'local', 'web-client.ts'), '--check', dir], {
    cwd: ROOT,
  });

// Each check builds the document and the types in a process of its own: seconds, more on a busy machine.
jest.setTimeout(120_000);

describe('the web app’s typed client', () => {
  it('is generated from the API’s schemas as they are now (else: npm run openapi)', async () => {
    await expect(check(API_DIR)).resolves.toBeDefined();
  });

  it('is refused when a schema changed and the client was not regenerated', async () => {
    const stale = mkdtempSync(join(tmpdir(), 'web-client-'));
    copyFileSync(join(API_DIR, 'openapi.json'), join(stale, 'openapi.json'));
    writeFileSync(join(stale, 'schema.d.ts'), '// an older client\n');
    await expect(check(stale)).rejects.toMatchObject({
      stderr: expect.stringMatching(/stale: .*schema\.d\.ts/),
    });
  });

  it('describes every Lambda route and the core service’s routes in one document', async () => {
    const doc = await openApiDocument();
    for (const route of Object.values(routes))
      expect(doc.paths[route.path]?.[route.method.toLowerCase()]).toMatchObject({ summary: route.summary });
    expect(doc.paths['/me/enrollments/{enrollmentId}/heartbeats']?.post).toMatchObject({
      requestBody: {
        content: { 'application/json': { schema: { required: expect.arrayContaining(['position']) } } },
      },
    });
    expect(doc.paths['/me']?.get?.responses).toMatchObject({
      200: { content: { 'application/json': { schema: { required: ['sub', 'email', 'roles'] } } } },
      '4XX': {
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    });
    expect(doc.components.securitySchemes).toEqual({
      session: { type: 'apiKey', in: 'cookie', name: 'lms_access' },
    });
  });
});
