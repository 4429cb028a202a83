// Typing fires a request per keystroke, and replies can arrive out of order. `latestOnly()`
// gives a wrapper whose promises settle only if no newer request was made meanwhile.
export const STALE = Symbol("stale");

export function latestOnly() {
  let counter = 0;
  return <T>(request: Promise<T>): Promise<T> => {
    const mine = ++counter;
    return request.then(
      (value) => {
        if (mine !== counter) throw STALE;
        return value;
      },
      (error) => {
        throw mine !== counter ? STALE : error;
      },
    );
  };
}
