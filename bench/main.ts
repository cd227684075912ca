import { benchSynth } from "./synth";

// `npm run bench`: figures, not pass/fail. Each section prints what it measured.
void (async () => {
  const print = (line: string) => console.log(line);
  print(`data-flows bench on node ${process.version}, ${new Date().toISOString()}`);
  await benchSynth(print);
})();
