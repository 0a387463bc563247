// Inside a worker thread of the single executable (src/sea/build.mjs) this stands in for src/workerScript.ts:
// a worker starts no workers of its own from a script it would have to find (the gzip helper's script reaches a
// scan worker from the calling thread, as a URL).
export function compiledScript(_callerUrl: string, _name: string): URL | null {
  return null;
}
