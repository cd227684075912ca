import type { Run } from "../../lambdas/core/run";
import { html } from "./html";
import type { SafeHtml } from "./html";

const WIDTH = 320;
const HEIGHT = 64;

/**
 * A flow's run durations over time as an inline SVG drawn on the server (no script, no canvas): one bar per run in
 * creation order, its height the run's duration against the longest shown, coloured by how it ended. Each bar has a
 * `<title>` (hover, and screen readers) with its run, state and duration.
 */
export function durationChart(runs: readonly Run[], label: string): SafeHtml {
  const timed = runs
    .filter((run) => run.startedAt && run.endedAt)
    .map((run) => ({ run, seconds: (Date.parse(run.endedAt!) - Date.parse(run.startedAt!)) / 1000 }))
    .reverse();
  if (timed.length === 0) return html`<p class="muted">no finished runs to chart yet</p>`;
  const longest = Math.max(...timed.map((point) => point.seconds), 1);
  const slot = WIDTH / Math.max(timed.length, 10);
  const bars = timed.map(({ run, seconds }, index) => {
    const height = Math.max(2, (seconds / longest) * (HEIGHT - 14));
    return html`<rect
      x="${(index * slot).toFixed(1)}"
      y="${(HEIGHT - height).toFixed(1)}"
      width="${Math.max(slot - 1, 1).toFixed(1)}"
      height="${height.toFixed(1)}"
      class="bar ${run.state}"
      ><title>${run.runId}: ${run.state}, ${formatSeconds(seconds)}</title></rect
    >`;
  });
  return html`<svg
    class="chart"
    role="img"
    aria-label="${label}: durations of the last ${timed.length} finished runs, longest ${formatSeconds(longest)}"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    width="${WIDTH}"
    height="${HEIGHT}"
  >
    <text x="0" y="10" class="axis">${formatSeconds(longest)}</text>
    ${bars}
  </svg>`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m ${Math.round(seconds % 60)}s` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
