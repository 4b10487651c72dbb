import { MAX_JSON_DEPTH, parseJsonBody } from '#contracts/json-body';
import { HttpError } from '#contracts/problem';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const refusal = (text: string) => {
  try {
    parseJsonBody(text);
  } catch (e) {
    return e instanceof HttpError ? [e.status, e.errors] : e;
  }
  return 'accepted';
};

describe('parseJsonBody', () => {
  it('parses JSON up to the depth bound and refuses one level more, naming the body', () => {
    expect(parseJsonBody(nested(MAX_JSON_DEPTH))).toBeDefined();
    expect(refusal(nested(MAX_JSON_DEPTH + 1))).toEqual([
      400,
      [{ field: 'body', message: `nested deeper than ${MAX_JSON_DEPTH} levels` }],
    ]);
  });

  it('counts brackets in structure only, not inside strings or after escaped quotes', () => {
    const brackets = '[{'.repeat(100);
    expect(parseJsonBody(JSON.stringify({ title: brackets, note: `\\"${brackets}` }))).toEqual({
      title: brackets,
      note: `\\"${brackets}`,
    });
    expect(refusal(`["\\\\",${nested(MAX_JSON_DEPTH)}]`)).toEqual([400, expect.any(Array)]);
  });

  it('refuses a million brackets in one pass, without a stack overflow', () => {
    expect(refusal('['.repeat(1_000_000))).toEqual([400, expect.any(Array)]);
    expect(refusal('{"a":'.repeat(200_000))).toEqual([400, expect.any(Array)]);
  });

  it.each(['', '{', '{"a":1,}', "{'a':1}", 'NaN', '\u0000'])('refuses %j as not JSON', (text) => {
    expect(refusal(text)).toEqual([400, [{ field: 'body', message: 'not valid JSON' }]]);
  });
});
