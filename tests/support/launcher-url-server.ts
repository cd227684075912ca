import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** The credentials a test's CLI signs with, and the server checks against. */
export const TEST_CREDENTIALS = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

export interface ReceivedRequest {
  method: string;
  body: unknown;
  /** Whether the request's SigV4 signature is what AWS's signer computes for it, as it arrived. */
  signatureValid: boolean;
  /** The credential scope it was signed for: `<key>/<date>/<region>/<service>/aws4_request`. */
  credentialScope: string;
}

/**
 * A stand-in for the launcher's function URL on 127.0.0.1: it checks each request's SigV4 signature as Lambda would
 * (the SDK's signer, recomputed over the request as received, for service `lambda`), records it, and answers from a
 * script (then 200 with `{ status: "launched", … }`).
 */
export async function startLauncherUrlServer(
  options: { region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
) {
  const received: ReceivedRequest[] = [];
  const script: { status: number; body: string }[] = [];
  const signer = new SignatureV4({
    service: "lambda",
    region: options.region ?? "eu-west-1",
    credentials: options.credentials ?? TEST_CREDENTIALS,
    sha256: Sha256,
  });
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const authorization = String(request.headers.authorization ?? "");
        const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
        const amzDate = String(request.headers["x-amz-date"] ?? "");
        const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name] ?? "")]));
        const resigned = await signer.sign(
          {
            method: request.method!,
            protocol: "http:",
            hostname: "127.0.0.1",
            path: request.url!.split("?")[0]!,
            query: {},
            headers,
            body: text,
          },
          {
            signingDate: new Date(
              `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
            ),
          },
        );
        received.push({
          method: request.method!,
          body: text ? (JSON.parse(text) as unknown) : undefined,
          signatureValid: authorization !== "" && resigned.headers.authorization === authorization,
          credentialScope: /Credential=([^,]+)/.exec(authorization)?.[1] ?? "",
        });
        const next = script.shift() ?? {
          status: 200,
          body: JSON.stringify({ status: "launched", runId: "hello-world/m1", attempt: 1, state: "STARTING" }),
        };
        response.writeHead(next.status, { "content-type": "application/json" });
        response.end(next.body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    received,
    respond: (...answers: { status: number; body: string }[]) => script.push(...answers),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
