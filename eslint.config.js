// One lint configuration for the whole repository; `npm test` runs it.
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");
const jest = require("eslint-plugin-jest");
const { builtinModules } = require("node:module");
const { boundaries } = require("./eslint.boundaries");

module.exports = tseslint.config(
  { ignores: ["node_modules/", "cdktf.out/", "dist/", ".data/", "coverage/", ".scratch/", "**/*.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  boundaries,
  // One import statement per module (a type-only one beside it is fine).
  { files: ["**/*.ts"], rules: { "import-x/no-duplicates": ["error", { "prefer-inline": false }] } },
  {
    // The domain stays pure so it can be tested exhaustively and reused by every edge (Lambda, local, CLI).
    files: ["lambdas/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@aws-sdk/*", "@aws-lambda-powertools/*"],
              message: "lambdas/core is pure: AWS I/O belongs in lambdas/adapters.",
            },
            {
              group: ["node:*", ...builtinModules],
              message: "lambdas/core is pure: no Node built-ins; take I/O through a port.",
            },
            {
              group: ["zod"],
              importNames: ["z"],
              message: 'Import zod as a namespace (import * as z from "zod") so bundles drop what they do not use.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ["tests/**/*.ts"],
    ...jest.configs["flat/recommended"],
    rules: {
      ...jest.configs["flat/recommended"].rules,
      // Tests mutate real-shaped fixture events field by field; typing every variant would hide the intent.
      "@typescript-eslint/no-explicit-any": "off",
      "jest/no-focused-tests": "error",
      "jest/no-disabled-tests": "error",
      "jest/expect-expect": ["error", { assertFunctionNames: ["expect", "assert*", "fc.assert"] }],
    },
  },
);
