// useReducer whose latest state can be read at once. ink delivers keys between React's renders
// (updates are scheduled, not flushed per key), so a key handler that read the state of the last
// render would act on a screen that is already gone: Esc then u, fast, would undo nothing.
import { useCallback, useRef, useState } from 'react';

export function useStore<S, A>(reducer: (state: S, action: A) => S, init: () => S): [S, (action: A) => void, () => S] {
  const ref = useRef<{ state: S } | null>(null);
  ref.current ??= { state: init() };
  const [, rerender] = useState(0);
  const dispatch = useCallback(
    (action: A) => {
      const box = ref.current as { state: S };
      const next = reducer(box.state, action);
      if (Object.is(next, box.state)) return;
      box.state = next;
      rerender((n) => n + 1);
    },
    [reducer],
  );
  const get = useCallback(() => (ref.current as { state: S }).state, []);
  return [ref.current.state, dispatch, get];
}

/** A function that remembers its last call: same arguments (by identity), same result. */
export function memoLast<Args extends unknown[], R>(fn: (...args: Args) => R): (...args: Args) => R {
  let last: { args: Args; result: R } | null = null;
  return (...args: Args) => {
    if (last && last.args.length === args.length && last.args.every((a, i) => Object.is(a, args[i])))
      return last.result;
    const result = fn(...args);
    last = { args, result };
    return result;
  };
}
