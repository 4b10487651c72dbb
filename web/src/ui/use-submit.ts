import { useState } from 'react';
import type { Problem } from '../api/problem';
import { asProblem } from './use-load';

/** What the typed client answers: the body on success, the problem otherwise, and the response. */
interface Answer<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

/**
 * One call a form sends: `busy` while it runs, and its refusal (or a network failure) as a problem the form
 * shows beside its fields. `onDone` runs only when the server took it.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const run = async <T>(call: () => Promise<Answer<T>>, onDone: (data: T) => void): Promise<void> => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await call();
      if (!response.ok) return setProblem(asProblem(error, response));
      onDone(data as T);
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, setProblem, run };
}
