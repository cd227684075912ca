import { request as httpRequest } from "node:http";
import { startInvokeApi } from "../../local/invoke-api";

/** One request to the API, answered with its status and parsed body; `headers` replace the defaults entirely. */
function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}${options.path ?? "/functions/launcher/invocations"}`,
      { method: options.method ?? "POST", headers: options.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode!, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/**
 * The local stand-in for Lambda Invoke listens on 127.0.0.1, which every web page in the developer's browser can reach:
 * a "simple" cross-origin POST (text/plain, no preflight) must not start a run. Only a caller that read the per-start
 * token from the data folder (the CLI) gets through.
 */
describe("the local invoke API", () => {
  const invoked: unknown[] = [];
  let api: Awaited<ReturnType<typeof startInvokeApi>>;
  let token: string;
  const launch = JSON.stringify({ kind: "manual", flow: "hello-world", params: {} });

  beforeAll(async () => {
    api = await startInvokeApi(
      {
        launcher: async (event) => {
          invoked.push(event);
          return { status: "launched" };
        },
      },
      0,
    );
    token = (api as unknown as { token: string }).token;
  });
  beforeEach(() => (invoked.length = 0));
  afterAll(() => api.close());

  it("makes a fresh, unguessable token at each start", async () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    const other = await startInvokeApi({}, 0);
    expect((other as unknown as { token: string }).token).not.toBe(token);
    await other.close();
  });

  it("invokes the function for a JSON request that carries the token", async () => {
    const answer = await send(api.url, {
      headers: { "content-type": "application/json", "x-data-flows-token": token },
      body: launch,
    });
    expect(answer).toEqual({ status: 200, body: { status: "launched" } });
    expect(invoked).toEqual([JSON.parse(launch)]);
  });

  it.each([
    ["a browser's simple cross-origin POST", { "content-type": "text/plain", origin: "https://evil.example" }, 403],
    ["no token", { "content-type": "application/json" }, 403],
    ["a wrong token", { "content-type": "application/json", "x-data-flows-token": "guess" }, 403],
    ["the token, but sent from a web page (Origin)", { "content-type": "application/json", origin: "null" }, 403],
    ["the token, but text/plain", { "content-type": "text/plain", "x-data-flows-token": "<token>" }, 415],
    [
      "the token, but form-encoded",
      { "content-type": "application/x-www-form-urlencoded", "x-data-flows-token": "<token>" },
      415,
    ],
    [
      "the token, but another Host (DNS rebinding)",
      { "content-type": "application/json", "x-data-flows-token": "<token>", host: "evil.example" },
      403,
    ],
  ])("refuses %s, invoking nothing", async (_case, headers: Record<string, string>, status) => {
    const withToken = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, value === "<token>" ? token : value]),
    );
    const answer = await send(api.url, { headers: withToken, body: launch });
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ errorType: expect.any(String), errorMessage: expect.any(String) });
    expect(invoked).toEqual([]);
  });

  it("answers a malformed body with 400, and keeps serving", async () => {
    const headers = { "content-type": "application/json", "x-data-flows-token": token };
    expect(await send(api.url, { headers, body: "{not json" })).toMatchObject({
      status: 400,
      body: { errorType: "SyntaxError" },
    });
    expect(await send(api.url, { headers, body: launch })).toMatchObject({ status: 200 });
  });

  it("keeps serving after a client that gives up mid-request", async () => {
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${api.url}/functions/launcher/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-data-flows-token": token, "content-length": "1000" },
      });
      request.on("error", () => resolve());
      request.write("{");
      setTimeout(() => {
        request.destroy();
        resolve();
      }, 50);
    });
    const headers = { "content-type": "application/json", "x-data-flows-token": token };
    expect(await send(api.url, { headers, body: launch })).toMatchObject({ status: 200 });
  });
});
