import { useCallback, useState } from 'react';
import type { Problem } from '../api/problem';
import { asProblem, useLoad, type Loaded } from './use-load';

/** One page of a listing as the API gives it: its rows and, when more follow, the cursor to the next. */
export interface Page<T> {
  readonly rows: readonly T[];
  readonly cursor?: string | undefined;
}

export interface Pages<T> {
  /** Every row loaded so far, the first page's first. */
  readonly rows: readonly T[];
  /** Loads the next page onto `rows`; absent when the last page is loaded. */
  readonly more?: () => void;
  readonly loadingMore: boolean;
  /** Why the last `more()` failed; the rows loaded stay. */
  readonly moreProblem?: Problem;
}

/**
 * A listing the API gives a page at a time (`cursor`): the first page as `useLoad` loads it, again when `deps`
 * change, and each further page when the screen asks for it with `more()`. `call(cursor)` makes one typed
 * client call, `undefined` for the first page; `page` reads a response's rows and cursor.
 */
export function usePages<T, R>(
  call: (cursor: string | undefined) => Promise<{ data?: R; error?: unknown; response: Response }>,
  page: (data: R) => Page<T>,
  deps: readonly unknown[],
): Loaded<Pages<T>> {
  const first = useLoad(() => call(undefined), deps);
  const firstData = first.status === 'ready' ? first.data : undefined;
  // The pages after the first, of the first page they follow: a new first page (other deps, a reload)
  // starts the listing again.
  const [loaded, setLoaded] = useState<
    { of: R; rows: readonly T[]; cursor?: string | undefined; problem?: Problem } | undefined
  >();
  const [loadingMore, setLoadingMore] = useState(false);
  const later = loaded && loaded.of === firstData ? loaded : undefined;
  const firstPage = firstData === undefined ? undefined : page(firstData);
  const cursor = later ? later.cursor : firstPage?.cursor;
  const more = useCallback(() => {
    if (!cursor || firstData === undefined) return;
    const rows = later?.rows ?? [];
    setLoadingMore(true);
    call(cursor).then(
      ({ data, error, response }) => {
        setLoadingMore(false);
        if (data === undefined) {
          setLoaded({ of: firstData, rows, cursor, problem: asProblem(error, response) });
          return;
        }
        const next = page(data);
        setLoaded({ of: firstData, rows: [...rows, ...next.rows], cursor: next.cursor });
      },
      (e: unknown) => {
        setLoadingMore(false);
        setLoaded({ of: firstData, rows, cursor, problem: asProblem(e) });
      },
    );
    // `call` and `page` are new closures every render; the cursor says which page comes next.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cursor, firstData, later]);
  if (first.status !== 'ready') return first;
  return {
    status: 'ready',
    data: {
      rows: [...firstPage!.rows, ...(later?.rows ?? [])],
      ...(cursor ? { more } : {}),
      loadingMore,
      ...(later?.problem ? { moreProblem: later.problem } : {}),
    },
  };
}
