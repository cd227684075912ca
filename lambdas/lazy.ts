/** A value built on first use and kept: how ports, clients and handlers are made once per process. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
