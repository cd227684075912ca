import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { IncomingHttpHeaders } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describeWithPython, runPython } from "../support/python";

interface Captured {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Signs, with the Python helper, exactly the request the SDK sent: the headers its signature covers, its date. */
const signWithPython = (request: Captured, credentials: Record<string, string | undefined>) => {
  const signedNames = /SignedHeaders=([^,]+)/.exec(String(request.headers.authorization))![1]!.split(";");
  const headers = Object.fromEntries(
    signedNames
      .filter((name) => !["host", "x-amz-date", "x-amz-security-token"].includes(name))
      .map((name) => [name, String(request.headers[name])]),
  );
  const input = JSON.stringify({
    url: `http://${request.headers.host}${request.path}`,
    method: request.method,
    headers,
    body: request.body,
    date: request.headers["x-amz-date"],
    credentials,
  });
  return runPython(
    `
import json, sys
from datetime import datetime, timezone
from data_flows.sigv4 import Credentials, sign
r = json.load(sys.stdin)
c = r["credentials"]
now = datetime.strptime(r["date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
signed = sign(r["method"], r["url"], r["headers"], r["body"].encode(), Credentials(c["accessKeyId"], c["secretAccessKey"], c.get("sessionToken")), "eu-west-1", "dynamodb", now)
print(signed["authorization"])`,
    input,
  ).trim();
};

/**
 * The AWS SDK's own DynamoDB client (its SigV4 signer is AWS's) sends an UpdateItem to a server on 127.0.0.1, which
 * keeps the request as it arrived; the Python helper signs the same request and must reach the same signature.
 */
describeWithPython("the Python helper's SigV4 signature (data_flows.sigv4)", () => {
  const received: Captured[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        method: request.method!,
        path: request.url!,
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end("{}");
    });
  });
  let endpoint: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sendWithSdk = async (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
    const client = new DynamoDBClient({ endpoint, region: "eu-west-1", credentials, maxAttempts: 1 });
    await client.send(
      new UpdateItemCommand({
        TableName: "data-flows-dev-runs",
        Key: { pk: { S: "RUN#orders-load-py/m20261203T120000Z-ä 1" }, sk: { S: "RUN" } },
        UpdateExpression: "SET #proposal = :proposal",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#proposal": "proposedWatermark", "#pk": "pk" },
        ExpressionAttributeValues: { ":proposal": { M: { value: { S: "2026-12-03T17:50:00.000Z" } } } },
        ReturnValues: "NONE",
      }),
    );
    client.destroy();
    return received.at(-1)!;
  };

  it("matches the SDK's signature with long-term keys", async () => {
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
    const request = await sendWithSdk(credentials);
    expect(signWithPython(request, credentials)).toBe(request.headers.authorization);
  });

  it("matches it with a task role's temporary credentials, signing the session token", async () => {
    const credentials = {
      accessKeyId: "ASIAEXAMPLE",
      secretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
      sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCWV1LXdlc3QtMSJHMEUCIQ==",
    };
    const request = await sendWithSdk(credentials);
    expect(request.headers.authorization).toContain("x-amz-security-token");
    expect(signWithPython(request, credentials)).toBe(request.headers.authorization);
  });
});
