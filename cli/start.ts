// `npm start`: the local control plane, and beside it the run-history page, on 127.0.0.1.
import { loadRegistry } from "../flows/index";
import { startFromTerminal } from "../local/main";
import { connectLocal } from "./local-target";
import { operatorName } from "./operator";
import { startUi } from "./ui/server";

/** The page listens one port above dynalite's: DATA_FLOWS_PORT (4710) is the launcher, +1 dynalite, +2 the page. */
const UI_PORT_OFFSET = 2;

startFromTerminal(async ({ dataDir, apiPort }) => {
  // The page reads the plane as the CLI does: through the data folder's endpoints, over 127.0.0.1.
  const target = connectLocal(dataDir);
  const serve = (port: number) =>
    startUi({
      target,
      registry: loadRegistry(),
      env: "local",
      allowActions: true,
      operator: operatorName(process.env),
      port,
    });
  // The page is a convenience: with its usual port taken, it takes any free one (the line below says which).
  const ui = await serve(apiPort + UI_PORT_OFFSET).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    return serve(0);
  });
  return {
    lines: [`  run history ${ui.url}   (the page; data-flows ui --env dev|prod serves it for AWS)`],
    close: async () => {
      await ui.close();
      target.close();
    },
  };
});
