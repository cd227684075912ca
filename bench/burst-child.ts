/**
 * One burst simulation in its own process (`tsx bench/burst-child.ts <flows> <fifo|backoff> <platform JSON>`), so the
 * bench can run two at a time on two cores; prints the result as JSON. The simulation runs in simulated time, so
 * running beside another changes nothing in its figures, only its real duration.
 */
import type { LambdaQueueModel } from "./burst";
import { simulateBurst } from "./burst";

if (require.main === module) {
  const [flows, queue, platform] = process.argv.slice(2);
  simulateBurst(
    Number(flows),
    JSON.parse(platform!) as Parameters<typeof simulateBurst>[1],
    queue as LambdaQueueModel,
  ).then(
    (result) => {
      process.stdout.write(JSON.stringify(result));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
