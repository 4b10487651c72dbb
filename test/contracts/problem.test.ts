import * as z from 'zod';
import { fieldProblems } from '#contracts/problem';
import { routes } from '#contracts/routes';

const fieldsOf = (schema: z.ZodType, where: string, input: unknown) =>
  fieldProblems(where, schema.safeParse(input).error!).map((p) => p.field);

describe('fieldProblems', () => {
  it('names the fields each branch of a union refused, not the union as a whole', () => {
    const callback = routes.completeLogin.query;
    // A code without its state: the code branch misses `state`, the error branch misses `error`.
    expect(fieldsOf(callback, 'query', { code: 'x' })).toEqual(['query.state', 'query.error']);
    // An error with an over-long state: zod answers for the one branch whose shape matched.
    expect(fieldsOf(callback, 'query', { error: 'access_denied', state: 'x'.repeat(129) })).toEqual([
      'query.state',
    ]);
    // Neither shape: every field either branch needed, each once.
    expect(fieldsOf(callback, 'query', {})).toEqual(['query.code', 'query.state', 'query.error']);
  });

  it('keeps a refused discriminator as it is, naming the discriminator', () => {
    const schema = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('a'), x: z.string() }),
      z.object({ kind: z.literal('b') }),
    ]);
    expect(fieldsOf(schema, 'body', { kind: 'c' })).toEqual(['body.kind']);
    expect(fieldsOf(schema, 'body', { kind: 'a' })).toEqual(['body.x']);
  });

  it('names one unknown key by its own path', () => {
    expect(fieldsOf(z.strictObject({ a: z.string() }), 'query', { a: 'x', b: 'y' })).toEqual(['query.b']);
  });
});
