import { build } from "esbuild";

/**
 * One self-contained CommonJS bundle for Node 22: dependencies included (the AWS SDK too, so code runs against the
 * version it was tested with), ESM entry points preferred for tree-shaking, minified, with a source map.
 */
export async function bundleEntry(entry: string, outfile: string, external: string[] = []): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    mainFields: ["module", "main"],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: "none",
    logLevel: "warning",
    external,
  });
}
