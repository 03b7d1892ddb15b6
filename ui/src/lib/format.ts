// Small display helpers, kept pure so they are easy to test.
import type { ImportReport } from './bindings/ImportReport';

/** Last component of a path, for either separator. */
export function fileName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? path;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (powers of 1000, as cameras and file managers count). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** RFC 3339 capture time as the photographer's local date and time. */
export function formatCaptured(rfc3339: string | null): string {
  if (!rfc3339) return '—';
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "12 imported, 3 duplicates, 1 failed" (zero counts left out, except imported). */
export function summarizeReport(report: ImportReport): string {
  const parts = [`${report.imported} imported`];
  if (report.duplicates > 0) parts.push(plural(report.duplicates, 'duplicate'));
  if (report.unchanged > 0) parts.push(`${report.unchanged} unchanged`);
  if (report.skipped > 0) parts.push(`${report.skipped} skipped`);
  if (report.failed > 0) parts.push(`${report.failed} failed`);
  const summary = parts.join(', ');
  // Which event the photos joined (none named: they were only catalogued).
  return report.event ? `${summary} · ${plural(report.joined, 'photo')} added to ${report.event}` : summary;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * A wait as the photographer reads it: 4200 → "4.2 s", 42000 → "42 s",
 * 185000 → "3 min 5 s", 3_900_000 → "1 h 5 min". Tenths only below 10 s, where
 * they still mean something.
 */
export function formatDuration(ms: number): string {
  const tenths = Math.round(ms / 100);
  if (tenths < 100) return `${(tenths / 10).toFixed(1)} s`;
  const whole = Math.round(ms / 1000);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) {
    const s = whole % 60;
    return s === 0 ? `${Math.floor(whole / 60)} min` : `${Math.floor(whole / 60)} min ${s} s`;
  }
  const minutes = Math.round(whole / 60);
  const m = minutes % 60;
  return m === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${m} min`;
}
