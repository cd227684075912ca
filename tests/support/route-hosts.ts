/**
 * Stands in for DNS in a sandbox without network: every `fetch` to a host in `routes` (e.g. `attacker.example`,
 * `cloud.getdbt.com`) reaches the server given for it on 127.0.0.1 instead, with the same method, path, headers and
 * body, and the URL it meant to reach in an `x-original-url` header. Requests to other hosts go out unchanged. Restore with
 * `jest.restoreAllMocks()`.
 */
export function routeHosts(routes: Readonly<Record<string, string>>): void {
  const realFetch = globalThis.fetch;
  jest.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const target = routes[url.hostname];
    if (target === undefined) return realFetch(input, init);
    const rerouted = new URL(`${url.pathname}${url.search}`, target);
    const headers = new Headers(init?.headers);
    headers.set("x-original-url", url.href);
    return realFetch(rerouted, { ...init, headers });
  });
}
