#!/usr/bin/env node
// The `data-flows` command: cli/main.ts, from a bundle rebuilt whenever its sources change (see cli-bundle.js), so
// there is still no build step to forget.
require("./cli-bundle.js")
  .loadCli()
  .main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 2;
  });
