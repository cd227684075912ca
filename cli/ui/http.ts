import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SafeHtml } from "./html";

/** A form post larger than this is refused. */
const MAX_BODY_BYTES = 64 * 1024;

/** A request refused with an HTTP status and a message shown on the page. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Headers every answer carries: nothing but this server's own script and styles, never framed, never sniffed. */
export const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  // Not no-referrer: with it a browser sends `Origin: null` on this page's own form posts, which the origin check refuses.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

export function send(response: ServerResponse, status: number, body: SafeHtml, headers: Record<string, string> = {}) {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", ...headers });
  response.end(body.markup);
}

export function sendAsset(response: ServerResponse, type: string, body: string): void {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": `${type}; charset=utf-8`,
    "cache-control": "max-age=300",
  });
  response.end(body);
}

export function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, { ...SECURITY_HEADERS, location });
  response.end();
}

export async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded"))
    throw new HttpError(415, "refused: a form post only");
  let body = "";
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > MAX_BODY_BYTES) throw new HttpError(413, "refused: too large");
  }
  return new URLSearchParams(body);
}

export function cookieOf(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/** Compares in constant time, so a token cannot be guessed a character at a time. */
export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
