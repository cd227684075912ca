/** A duration between two instants for people: `42s`, `3m 12s`, `2h 5m`; undefined when it makes no sense. */
export function formatDuration(fromIso: string, toIso: string): string | undefined {
  const seconds = Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000);
  if (!(seconds >= 0)) return undefined;
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m ${seconds % 60}s` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
