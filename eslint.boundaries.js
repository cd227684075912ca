// Which folder may import which: the architecture, enforced. Used by eslint.config.js and by its own test
// (tests/unit/lint-boundaries.test.ts), which shows each zone refusing a deliberate violation.
const importX = require("eslint-plugin-import-x");

const everythingBut = (...allowed) =>
  [
    "./contracts",
    "./flows",
    "./lambdas",
    "./local",
    "./cli",
    "./.aws",
    "./scripts",
    "./bundling",
    "./bench",
    "./tests",
  ].filter((folder) => !allowed.includes(folder));

/** Each zone: files under `target` may not import from `from`. */
const zones = [
  {
    target: "./contracts",
    from: everythingBut("./contracts"),
    message: "contracts/ holds names both sides agree on; it depends on nothing else in the repository.",
  },
  {
    target: "./lambdas/core",
    from: [
      "./lambdas/adapters",
      "./lambdas/handlers",
      "./lambdas/aws",
      "./lambdas/composition-root.ts",
      "./flows/runtime",
      "./flows/lib",
      ...everythingBut("./contracts", "./flows", "./lambdas"),
    ],
    message: "lambdas/core is the pure domain: take I/O and edges through a port, never by import.",
  },
  {
    target: "./flows",
    from: everythingBut("./contracts", "./flows"),
    message: "flows/ runs in the flow image: it depends on contracts/, never on the control plane.",
  },
  {
    target: "./lambdas/handlers",
    from: ["./lambdas/adapters", "./lambdas/aws"],
    message: "A handler parses input and calls the core; adapters reach it through the composition root.",
  },
  {
    target: "./lambdas",
    from: everythingBut("./contracts", "./flows", "./lambdas"),
    message: "The Lambdas are deployed alone: nothing of the local runtime, CLI, stacks or tests may reach them.",
  },
  {
    target: "./.aws",
    from: ["./lambdas", "./local", "./cli", "./scripts", "./bench", "./tests"],
    message:
      "The stacks read contracts and the registry (and bundle the Lambdas through bundling/); they never import runtime code.",
  },
  {
    target: "./bundling",
    from: everythingBut("./bundling", "./contracts"),
    message:
      "bundling/ builds the deployed code: the stacks, scripts and the local plane use it, it uses none of them.",
  },
  {
    target: "./local",
    from: ["./cli", "./.aws", "./tests", "./bench"],
    message: "The local control plane stands alone; the CLI talks to it, not the other way round.",
  },
];

/** The ESLint flat-config entry that enforces the zones on TypeScript files. */
module.exports = {
  boundaries: {
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: { "import-x/resolver-next": [importX.createNodeResolver({ extensions: [".ts", ".js", ".json"] })] },
    rules: { "import-x/no-restricted-paths": ["error", { basePath: __dirname, zones }] },
  },
  zones,
};
