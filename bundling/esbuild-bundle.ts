import { build } from "esbuild";

/**
 * One self-contained CommonJS bundle for Node 22: dependencies included (the AWS SDK too, so code runs against the
 * version it was tested with), ESM entry points preferred for tree-shaking, minified, with a source map. Returns the
 * source files it was built from, relative to the working directory.
 */
export async function bundleEntry(
  entry: string,
  outfile: string,
  options: { external?: string[]; alias?: Record<string, string> } = {},
): Promise<string[]> {
  const { metafile } = await build({
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
    external: options.external ?? [],
    ...(options.alias && { alias: options.alias }),
    metafile: true,
  });
  return Object.keys(metafile.inputs);
}
