import { useCallback, useEffect, useState } from 'react';
import { isProblem, type Problem } from '../api/problem';

export type Loaded<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'failed'; readonly problem: Problem }
  | { readonly status: 'ready'; readonly data: T };

/**
 * Loads what a screen shows with one typed client call (`() => api.GET(...)`), again whenever `deps` change
 * or `reload()` is called; a refusal arrives as the API's problem.
 */
export function useLoad<T>(
  call: () => Promise<{ data?: T; error?: unknown; response: Response }>,
  deps: readonly unknown[],
): Loaded<T> & { reload: () => void } {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    call().then(
      ({ data, error, response }) => {
        if (!current) return;
        if (data !== undefined) setState({ status: 'ready', data });
        else setState({ status: 'failed', problem: asProblem(error, response) });
      },
      (e: unknown) => {
        if (current) setState({ status: 'failed', problem: asProblem(e) });
      },
    );
    return () => {
      current = false;
    };
    // The caller names what its call depends on (`deps`); the call itself is a new closure every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

/** Any failure as a problem: the API's own, or one made for a network error. */
export function asProblem(error: unknown, response?: Response): Problem {
  if (isProblem(error)) return error;
  return {
    type: 'about:blank',
    title: error instanceof Error ? error.message : (response?.statusText ?? 'Request failed'),
    status: response?.status ?? 0,
  };
}
