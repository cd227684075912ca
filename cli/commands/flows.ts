import { nextFireTimes, scheduleSpecOf } from "../../flows/registry/schedule";
import { table } from "../format";
import type { Command } from "commander";
import type { CliContext } from "../context";

/** `flows`: the registry, with schedules and next fire times. */
export function registerFlows(program: Command, cli: CliContext): void {
  program
    .command("flows")
    .description("list the flows in the registry with their schedules and next fire times")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) => {
      const flows = cli.registry.flows.map((flow) => ({
        name: flow.name,
        owner: flow.owner,
        schedule: flow.schedule?.cron ?? (flow.schedule?.rate ? `rate ${flow.schedule.rate}` : null),
        timezone: flow.schedule?.timezone ?? null,
        enabled: flow.schedule?.enabled ?? false,
        nextFire: flow.schedule?.enabled
          ? nextFireTimes(scheduleSpecOf(flow.schedule), flow.schedule.timezone, cli.io.now(), 1)[0]!.toISOString()
          : null,
      }));
      cli.print(options.json, flows, () =>
        table(
          ["NAME", "SCHEDULE", "TIMEZONE", "NEXT FIRE (UTC)", "OWNER"],
          cli.registry.flows.map((flow, index) => [
            flow.name,
            flow.schedule ? `${flows[index]!.schedule}${flow.schedule.enabled ? "" : " (disabled)"}` : "manual only",
            flow.schedule?.timezone ?? "",
            flows[index]!.nextFire?.slice(0, 16).replace("T", " ") ?? "",
            flow.owner,
          ]),
        ),
      );
    });
}
