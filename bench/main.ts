import { benchProperty } from "./property";
import { benchSynth } from "./synth";

// `npm run bench`: figures, not pass/fail. Each section prints what it measured.
void (async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const print = (line: string) => console.log(line);
  print(`data-flows bench on node ${process.version}, ${new Date().toISOString()}`);
  await benchProperty(print, Number(process.env.DATA_FLOWS_PROPERTY_RUNS ?? 10_000));
  await benchSynth(print);
})();
