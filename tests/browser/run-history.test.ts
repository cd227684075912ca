/// <reference lib="dom" />
import type { Browser, Page } from "playwright-core";
import { loadRegistry } from "../../flows/index";
import type { Run } from "../../lambdas/core/run";
import { RunState } from "../../contracts/run-states";
import { HAVE_CHROMIUM, launchChromium, startPlaneWithUi } from "../support/browser";
import { waitFor } from "../support/npm-start";

if (!HAVE_CHROMIUM) {
  console.log(
    "browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)",
  );
}
const describeInBrowser = HAVE_CHROMIUM ? describe : describe.skip;

describeInBrowser("the run-history page in Chromium, against the local control plane", () => {
  const registry = loadRegistry();
  let world: Awaited<ReturnType<typeof startPlaneWithUi>>;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    world = await startPlaneWithUi(registry, "data-flows-ui-");
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage();
    await page.goto(world.login);
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });
  afterEach(() => page.close());

  const start = async (flow: string, params: Record<string, string> = {}) =>
    (await world.target.launcher.invoke({ kind: "manual", flow, params })).runId;
  const until = (runId: string, states: RunState[]) =>
    waitFor(async () => {
      const run = await world.plane.runs.get(runId);
      return run && states.includes(run.state) ? run : undefined;
    }, 20_000);
  const runPage = (runId: string) => `${world.url}/run?id=${encodeURIComponent(runId)}`;

  it("shows a failed run in red, with its reason and its last log lines", async () => {
    const runId = await start("hello-world", { fail: "true" });
    await until(runId, [RunState.FAILED]);
    await page.goto(runPage(runId));
    const badge = page.locator(".fact-state .state");
    await expect(badge.textContent()).resolves.toBe("FAILED");
    expect(await badge.evaluate((element) => getComputedStyle(element).backgroundColor)).toBe("rgb(207, 34, 46)");
    await expect(page.locator(".fact-failure").textContent()).resolves.toContain("failing on demand (param fail=true)");
    const logs = (await page.locator("pre.logs").textContent()) ?? "";
    expect(logs).toContain("hello from step 3 of 3");
    expect(logs.split("\n").at(-1)).toContain("flow failed: failing on demand");
  }, 30_000);

  it("updates a running run's page to SUCCEEDED without reloading", async () => {
    const runId = await start("hello-world", { steps: "15" });
    await until(runId, [RunState.RUNNING]);
    let navigations = 0;
    page.on("framenavigated", () => (navigations += 1));
    await page.goto(runPage(runId));
    await expect(page.locator(".fact-state .state").textContent()).resolves.toBe("RUNNING");
    await page.locator(".fact-state .state.SUCCEEDED").waitFor({ timeout: 20_000 });
    expect(navigations).toBe(1);
    expect(await page.locator("pre.logs").textContent()).toContain("hello from step 15 of 15");
  }, 40_000);

  it("cancels a run from its page after asking, and the run ends CANCELLED", async () => {
    const runId = await start("timeout-demo", { seconds: "120" });
    await until(runId, [RunState.RUNNING]);
    await page.goto(runPage(runId));
    await page.getByLabel("reason").fill("started by mistake");
    await page.getByRole("button", { name: "Cancel run" }).click();
    expect(await page.locator("main").textContent()).toContain("Confirm: cancel");
    await page.getByRole("button", { name: "Confirm: cancel" }).click();
    const run: Run = await until(runId, [RunState.CANCELLED]);
    expect(run.reason).toBe("cancelled by ana (page): started by mistake");
    await page.locator(".fact-state .state.CANCELLED").waitFor();
  }, 30_000);

  it("shows markup in a reason as text, never as markup", async () => {
    const runId = await start("timeout-demo", { seconds: "120" });
    await until(runId, [RunState.RUNNING]);
    const hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    await world.target.launcher.invoke({
      kind: "cancel",
      flow: "timeout-demo",
      runId,
      requestedBy: "eve",
      reason: hostile,
    });
    for (const url of [runPage(runId), `${world.url}/runs?flow=timeout-demo`]) {
      await page.goto(url);
      expect(await page.locator("main img, main script").count()).toBe(0);
      expect(await page.locator("main").textContent()).toContain(`cancelled by eve: ${hostile}`);
    }
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
  }, 30_000);

  it("refuses a state-changing request without this page's token", async () => {
    const runId = await start("hello-world");
    await page.goto(`${world.url}/runs`);
    const status = await page.evaluate(async (id) => {
      const response = await fetch("/actions/rerun", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `runId=${encodeURIComponent(id)}&confirmed=yes`,
      });
      return response.status;
    }, runId);
    expect(status).toBe(403);
    const reruns = (await world.plane.runs.listByFlow("hello-world", { limit: 50 })).filter((run) => run.rerunOf);
    expect(reruns).toEqual([]);
  });

  it("lists runs newest first, filtered by flow and state, updating without a reload", async () => {
    const runId = await start("hello-world", { steps: "10" });
    await page.goto(`${world.url}/runs?flow=hello-world`);
    const row = page.locator("tbody tr", { hasText: runId });
    await row.locator(".state.SUCCEEDED").waitFor({ timeout: 20_000 });
    await page.goto(`${world.url}/runs?flow=hello-world&state=FAILED`);
    expect(await page.locator("tbody tr", { hasText: runId }).count()).toBe(0);
  }, 30_000);

  it("shows nothing to a browser that has not opened the page's address with its key", async () => {
    const context = await browser.newContext(); // a browser of its own: no session cookie
    const other = await context.newPage();
    const response = await other.goto(`${world.url}/runs`);
    expect(response!.status()).toBe(401);
    expect(await other.locator("main").textContent()).not.toContain("hello-world/");
    await context.close();
  });

  it("is usable from the keyboard: every action is a button or link reached with Tab", async () => {
    await page.goto(`${world.url}/`);
    const focusable = await page.evaluate(() =>
      Array.from(document.querySelectorAll("a, button, input, select, summary")).every(
        (element) => (element as HTMLElement).tabIndex >= 0,
      ),
    );
    expect(focusable).toBe(true);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Flows");
  });
});
