#!/usr/bin/env node
// The `data-flows` command runs from TypeScript source through tsx, so there is no build step to forget.
require("tsx/cjs");
require("../cli/main.ts")
  .main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 2;
  });
