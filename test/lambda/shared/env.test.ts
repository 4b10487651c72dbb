import { VOD } from '#contracts/resources';
import { readVodCount } from '#lambda/shared/env';
import { overrideEnv } from '../env';

describe('readVodCount', () => {
  it('reads a positive whole number and fails loudly on anything else', () => {
    const name = VOD.env.monthlyTranscodeMinutes;
    const restore = overrideEnv({ [name]: '6000' });
    try {
      expect(readVodCount('monthlyTranscodeMinutes')).toBe(6000);
      for (const bad of [undefined, '', '0', '-5', '12.5', 'lots', '1e300']) {
        if (bad === undefined) delete process.env[name];
        else process.env[name] = bad;
        expect(() => readVodCount('monthlyTranscodeMinutes')).toThrow(
          `Missing or invalid environment: ${name}`,
        );
      }
    } finally {
      restore();
    }
  });
});
