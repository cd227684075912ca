import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { chromium } from "playwright-core";
import { connectLocal } from "../../cli/local-target";
import type { Target } from "../../cli/local-target";
import { startUi } from "../../cli/ui/server";
import type { FlowRegistry } from "../../flows/registry/flow-registry";
import type { LocalControlPlane } from "../../local/control-plane";
import { startQuietControlPlane } from "./local-plane";

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). Playwright downloads no browser of its own. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);

/** Headless, and quiet on a machine with no network beyond 127.0.0.1 (the flags the machine notes ask for). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The local control plane with its run-history page, as `npm start` serves them, in this process. */
export async function startPlaneWithUi(registry: FlowRegistry, prefix: string) {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const plane: LocalControlPlane = await startQuietControlPlane(registry, dataDir);
  const target: Target = connectLocal(dataDir);
  const ui = await startUi({ target, registry, env: "local", allowActions: true, operator: "ana (page)", port: 0 });
  return {
    dataDir,
    plane,
    target,
    url: ui.origin,
    /** The address with the page's key: a browser opens it first, and has the session cookie from then on. */
    login: ui.url,
    async stop() {
      await ui.close();
      target.close();
      await plane.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
