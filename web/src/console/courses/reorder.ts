/*
 * Moving one item of an ordered list (a course's chapters, a chapter's contents) by keyboard or by drag:
 * the API moves an item to a position and shifts the ones in between, so every move is one call.
 */

export type Direction = -1 | 1;

/** The position one step up or down, or undefined at either end. */
export function stepTo(index: number, direction: Direction, length: number): number | undefined {
  const to = index + direction;
  return to >= 0 && to < length ? to : undefined;
}

/** Alt+ArrowUp and Alt+ArrowDown move the focused item, as in list editors people know. */
export function moveKey(e: { altKey: boolean; key: string }): Direction | undefined {
  if (!e.altKey) return undefined;
  if (e.key === 'ArrowUp') return -1;
  if (e.key === 'ArrowDown') return 1;
  return undefined;
}
