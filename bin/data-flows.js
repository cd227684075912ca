#!/usr/bin/env node
// The `data-flows` command runs from TypeScript source through tsx, so there is no build step to forget.
require("tsx/cjs");
let cli;
try {
  cli = require("../cli/main.ts");
} catch (error) {
  // The registry validates itself when loaded: report which flow and field are wrong, not a stack trace.
  if (error && error.name === "FlowDefinitionError") {
    console.error(`data-flows: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
cli.main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
