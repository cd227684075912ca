/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  setupFiles: ["<rootDir>/tests/setup-env.ts"],
  testTimeout: 30000,
  // Jest takes one worker fewer than the cores (one, on 2 cores); most suites wait on processes and sockets, so two
  // workers finish the suite in well under the time one takes.
  maxWorkers: 2,
};
