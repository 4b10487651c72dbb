import { moveKey, stepTo } from '../../web/src/console/courses/reorder';

describe('keyboard reordering', () => {
  it('steps one place up or down, and not past either end', () => {
    expect(stepTo(1, -1, 3)).toBe(0);
    expect(stepTo(1, 1, 3)).toBe(2);
    expect(stepTo(0, -1, 3)).toBeUndefined();
    expect(stepTo(2, 1, 3)).toBeUndefined();
    expect(stepTo(0, 1, 1)).toBeUndefined();
  });

  it('moves on Alt+Arrow Up and Down only, leaving plain arrows to scrolling and selects', () => {
    expect(moveKey({ altKey: true, key: 'ArrowUp' })).toBe(-1);
    expect(moveKey({ altKey: true, key: 'ArrowDown' })).toBe(1);
    expect(moveKey({ altKey: false, key: 'ArrowUp' })).toBeUndefined();
    expect(moveKey({ altKey: true, key: 'ArrowLeft' })).toBeUndefined();
  });
});
