import { ECSClient, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { DynamoFlowState } from "../../lambdas/adapters/dynamo-flow-state";
import type { DynamoRunStore } from "../../lambdas/adapters/dynamo-run-store";
import type { ControlPlaneSettings } from "../../lambdas/composition-root";
import { composeForTest, fixtureEcsPorts } from "./control-plane";
import { startDynalite } from "./dynalite";
import { RecordingPublisher, RecordingRetries } from "./recording-publisher";
import { FIXTURE_TASK_ARN } from "./runs";

export type TestHandler = (event: unknown) => Promise<Record<string, unknown>>;

/** What each test of a {@link controlPlaneTestbed} gets afresh. */
export interface Testbed {
  runs: DynamoRunStore;
  flowState: DynamoFlowState;
  events: RecordingPublisher;
  retries: RecordingRetries;
  launcher: TestHandler;
  recorder: TestHandler;
  /** The control plane's clock: set it to move time. */
  now: string;
  dynamoEndpoint: string;
}

/**
 * The launcher and recorder as production composes them, against dynalite over HTTP (a fresh runs table per test),
 * with ECS mocked (aws-sdk-client-mock: nothing local speaks its protocol) to start and stop the fixtures' task.
 * Call it at the top of a `describe`; read the bed inside each test.
 */
export function controlPlaneTestbed(
  registry: FlowRegistry,
  start = "2026-03-02T10:00:05.000Z",
  settings: Partial<ControlPlaneSettings> = {},
) {
  const ecs = mockClient(ECSClient);
  let dynamo: Awaited<ReturnType<typeof startDynalite>>;
  const bed = {} as Testbed;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.close());

  /** A fresh table and control plane (and ECS mock), as each test starts with; a property test resets per history. */
  async function reset() {
    ecs.reset();
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: FIXTURE_TASK_ARN }], failures: [] });
    ecs.on(StopTaskCommand).resolves({});
    bed.now = start;
    bed.dynamoEndpoint = dynamo.endpoint;
    ({ runs: bed.runs, flowState: bed.flowState } = await dynamo.freshStores());
    bed.events = new RecordingPublisher();
    bed.retries = new RecordingRetries();
    const plane = composeForTest(
      {
        registry,
        runs: bed.runs,
        flowState: bed.flowState,
        events: bed.events,
        retries: bed.retries,
        ...fixtureEcsPorts(),
        clock: { now: () => new Date(bed.now) },
        nonces: { nonce: () => "abcdefghij" },
      },
      settings,
    );
    bed.launcher = plane.launcher() as TestHandler;
    bed.recorder = plane.recorder() as TestHandler;
  }
  beforeEach(reset);

  return { ecs, bed, reset };
}
