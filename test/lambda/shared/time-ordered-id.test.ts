import * as z from 'zod';
import { timeOrderedUuid } from '#lambda/shared/time-ordered-id';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID that zod accepts, carrying its time in its first 48 bits', () => {
    const at = new Date('2026-12-06T08:00:00.123Z');
    const id = timeOrderedUuid(at);
    expect(z.uuid().safeParse(id).success).toBe(true);
    expect(id[14]).toBe('7');
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at.getTime());
  });

  it('sorts as the times it was made at, whatever its random part', () => {
    const times = [
      0,
      1,
      255,
      256,
      65_536,
      Date.parse('2026-12-06T08:00:00Z'),
      Date.parse('2099-01-01T00:00:00Z'),
    ];
    const ids = times.map((t, i) => timeOrderedUuid(new Date(t), (n) => Buffer.alloc(n, i % 2 ? 0xff : 0)));
    expect([...ids].sort()).toEqual(ids);
  });
});
