import { loadRegistry } from "../flows/index";
import type { NewRun } from "../lambdas/core/run";
import { RunState } from "../contracts/run-states";
import { HAVE_CHROMIUM, launchChromium, startPlaneWithUi } from "../tests/support/browser";
import type { Rows } from "./report";
import { exact, spread } from "./stats";

/**
 * Section 9. The run-history page in Debian's Chromium with 1,000 runs in the store: bytes its first load transfers
 * (page, style sheet, script), and load time of the flows page and of the runs page (50 a page), several times each.
 */
export async function benchUi(rows: Rows, loads: number): Promise<void> {
  if (!HAVE_CHROMIUM) {
    rows.add("skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)", exact(0), "");
    return;
  }
  const world = await startPlaneWithUi(loadRegistry(), "data-flows-bench-ui-");
  const browser = await launchChromium();
  try {
    const base = Date.parse("2026-11-01T00:00:00Z");
    for (let index = 0; index < 1000; index += 1) {
      const at = new Date(base + index * 15 * 60_000).toISOString();
      const run: NewRun = {
        runId: `hello-world/b${at.replace(/[-:]/g, "").slice(0, 13)}Z`,
        flow: "hello-world",
        trigger: "backfill",
        scheduledFor: at,
        dataInterval: { start: at, end: at },
        params: { steps: "3", fail: "false" },
        state: index % 7 === 0 ? RunState.FAILED : RunState.SUCCEEDED,
        attempt: 1,
        maxAttempts: 1,
        flowRetries: 0,
        createdAt: at,
        deadline: at,
      };
      await world.plane.runs.create(run);
    }
    const measure = async (path: string) => {
      const times: number[] = [];
      let bytes = 0;
      for (let round = 0; round < loads; round += 1) {
        const page = await browser.newPage();
        await page.goto(world.login); // the session cookie, as an operator's first visit gets it
        let transferred = 0;
        page.on("response", (response) => {
          void response.body().then(
            (body) => (transferred += body.length),
            () => undefined,
          );
        });
        const started = performance.now();
        await page.goto(`${world.url}${path}`, { waitUntil: "load" });
        times.push(performance.now() - started);
        await page.waitForTimeout(50);
        bytes = transferred;
        await page.close();
      }
      return { times, bytes };
    };
    for (const [name, path] of [
      ["flows page", "/"],
      ["runs page (first 50 of 1,000)", "/runs"],
    ] as const) {
      const { times, bytes } = await measure(path);
      rows.add(`${name}: load, 1,000 runs stored`, spread(times), "ms", {
        note: "navigation to load event, fresh tab",
      });
      rows.add(`${name}: first load transferred`, exact(bytes / 1024), "KiB", { note: "HTML + CSS + JS bodies" });
    }
  } finally {
    await browser.close();
    await world.stop();
  }
}
