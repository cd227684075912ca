/**
 * A launcher function URL request as Lambda delivers it (payload format 2.0, `AuthType: AWS_IAM`), carrying `body`
 * from the principal `userArn`: the shape of "Invoking Lambda function URLs" in the Lambda developer guide
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads).
 */
export function functionUrlRequest(
  body: unknown,
  userArn = "arn:aws:sts::111122223333:assumed-role/DataEngineer/ana",
  options: { method?: string; authorized?: boolean } = {},
) {
  const accountId = /::(\d{12}):/.exec(userArn)?.[1] ?? "111122223333";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      host: "abcdefghij1234567890klmnopqrstuv.lambda-url.eu-west-1.on.aws",
      "x-amz-date": "20260302T100000Z",
      "x-forwarded-proto": "https",
    },
    requestContext: {
      accountId: "anonymous",
      apiId: "abcdefghij1234567890klmnopqrstuv",
      ...(options.authorized !== false && {
        authorizer: {
          iam: {
            accessKey: "ASIAEXAMPLEEXAMPLE00",
            accountId,
            callerId: "AROAEXAMPLEEXAMPLE000:ana",
            cognitoIdentity: null,
            principalOrgId: null,
            userArn,
            userId: "AROAEXAMPLEEXAMPLE000:ana",
          },
        },
      }),
      domainName: "abcdefghij1234567890klmnopqrstuv.lambda-url.eu-west-1.on.aws",
      domainPrefix: "abcdefghij1234567890klmnopqrstuv",
      http: {
        method: options.method ?? "POST",
        path: "/",
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: "data-flows-cli",
      },
      requestId: "6a3c2b1e-5d4f-4e3a-9b8c-7d6e5f4a3b2c",
      routeKey: "$default",
      stage: "$default",
      time: "02/Mar/2026:10:00:00 +0000",
      timeEpoch: 1772445600000,
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}
