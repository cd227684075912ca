/**
 * Opens the address a run-history page printed (its origin and key) as a browser would: the key is exchanged for the
 * session cookie, which `fetch` then sends. Returns the page's origin and a `fetch` that carries the cookie.
 */
export async function openPageSession(address: string) {
  const response = await fetch(address, { redirect: "manual" });
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0]!;
  if (response.status !== 303 || !cookie) throw new Error(`${address} did not hand out a session (${response.status})`);
  const origin = new URL(address).origin;
  return {
    origin,
    cookie,
    fetch: (path: string, init: RequestInit = {}) =>
      fetch(`${origin}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), cookie } }),
  };
}
