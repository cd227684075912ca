/**
 * The page's only style sheet and script, served from this server (the Content-Security-Policy allows nothing else,
 * and nothing comes from a CDN). The script is an enhancement: every page reads fine without it; with it, parts marked
 * `data-live` are re-read every few seconds until the server says they are final.
 */
export const APP_CSS = `
:root { font-family: system-ui, sans-serif; line-height: 1.4; color: #1b1f24; background: #fff; }
body { margin: 0; }
header { display: flex; justify-content: space-between; align-items: center; padding: .5rem 1rem; background: #24292f; color: #fff; }
header a { color: #fff; margin-right: 1rem; }
header.env-prod { background: #a40e26; }
main { padding: 1rem; max-width: 72rem; }
a { color: #0550ae; }
a:focus, button:focus, input:focus, select:focus, summary:focus, pre:focus { outline: 3px solid #fb8f44; outline-offset: 2px; }
.state { display: inline-block; padding: 0 .4rem; border-radius: .25rem; font-weight: 600; font-size: .85rem; color: #fff; background: #57606a; }
.state.SUCCEEDED { background: #1a7f37; }
.state.FAILED, .state.TIMED_OUT, .state.LOST { background: #cf222e; }
.state.RUNNING, .state.STARTING, .state.PENDING { background: #0969da; }
.state.RETRYING { background: #bc4c00; }
.state.SKIPPED, .state.PAUSED { background: #9a6700; }
.squares { display: flex; gap: 3px; }
.square { display: inline-block; width: 14px; height: 14px; border-radius: 2px; background: #8c959f; }
.square.SUCCEEDED { background: #1a7f37; } .square.FAILED, .square.TIMED_OUT, .square.LOST { background: #cf222e; }
.square.RUNNING, .square.STARTING, .square.PENDING { background: #0969da; } .square.RETRYING { background: #bc4c00; }
.square.SKIPPED { background: #d4a72c; }
.chart .bar { fill: #8c959f; } .chart .bar.SUCCEEDED { fill: #1a7f37; }
.chart .bar.FAILED, .chart .bar.TIMED_OUT, .chart .bar.LOST { fill: #cf222e; } .chart .axis { font-size: 9px; fill: #57606a; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; } dt { font-weight: 600; } dd { margin: 0; }
pre.logs { background: #f6f8fa; padding: .5rem; overflow: auto; max-height: 30rem; white-space: pre-wrap; }
.muted { color: #57606a; } .reason { max-width: 28rem; overflow-wrap: anywhere; }
form.action, form.filters { margin: .5rem 0; } section.flow { border-top: 1px solid #d0d7de; padding-top: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

export const APP_JS = `
"use strict";
const POLL_MS = 2000;
for (const element of document.querySelectorAll("[data-live]")) {
  const url = element.getAttribute("data-live");
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { accept: "text/html" }, credentials: "same-origin" });
      if (response.ok) {
        const markup = await response.text();
        if (markup !== element.innerHTML) element.innerHTML = markup;
        if (response.headers.get("x-live") === "final") return;
      }
    } catch (error) {
      // the server went away for a moment: try again
    }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}
`;
