// One request's state for a component: loading, its data or its error. A new key aborts the old request, so a
// slow answer to an old search never overwrites a newer one.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Fetched<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Fetch again, keeping the data shown meanwhile (live refreshes must not flash a spinner). */
  reload: () => void;
}

export function useFetch<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Fetched<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: Error; loading: boolean }>({ key, loading: true });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setState((old) => (old.key === key ? { ...old, loading: true } : { key, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => setState({ key, data, loading: false }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState((old) => ({ key, data: old.key === key ? old.data : undefined, error: error instanceof Error ? error : new Error(String(error)), loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const current = state.key === key;
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, loading: !current || state.loading, reload };
}
