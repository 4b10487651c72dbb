import { parseClock } from '../../web/src/screens/board-common';

describe('parseClock, the moment a learner types for a question', () => {
  it.each([
    ['0:30', 30],
    ['1:05', 65],
    [' 12:00 ', 720],
    ['95:10', 5710],
    ['1:02:03', 3723],
    ['45', 45],
  ])('reads %p as %p seconds', (text, seconds) => {
    expect(parseClock(text)).toBe(seconds);
  });

  it.each(['', 'half a minute', '1:5', '1:60', '1:60:00', '1:2:3:4', '-1:00', '1.5:00', '1:00:'])(
    'refuses %p',
    (text) => {
      expect(parseClock(text)).toBeUndefined();
    },
  );
});
