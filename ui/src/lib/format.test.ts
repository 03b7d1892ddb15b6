import { describe, expect, it } from 'vitest';
import { report } from '../tests/fixtures';
import { fileName, formatBytes, formatCaptured, formatDuration, plural, summarizeReport } from './format';

describe('format', () => {
  it('takes the file name from either kind of path', () => {
    expect(fileName('/Volumes/EOS_DIGITAL/DCIM/100CANON/IMG_0001.JPG')).toBe('IMG_0001.JPG');
    expect(fileName('D:\\DCIM\\100CANON\\IMG_0002.CR2')).toBe('IMG_0002.CR2');
    expect(fileName('/shoot/')).toBe('shoot');
    expect(fileName('')).toBe('');
  });

  it('formats sizes like a file manager', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(4_200_000)).toBe('4.2 MB');
    expect(formatBytes(250_000_000)).toBe('250 MB');
  });

  it('shows a dash for an unknown capture time and keeps unparsable ones', () => {
    expect(formatCaptured(null)).toBe('—');
    expect(formatCaptured('not a date')).toBe('not a date');
    expect(formatCaptured('2026-06-01T14:03:22+02:00')).toMatch(/2026/);
  });

  it('summarizes an import report', () => {
    expect(summarizeReport(report({ imported: 12, duplicates: 3, failed: 1 }))).toBe(
      '12 imported, 3 duplicates, 1 failed',
    );
    expect(summarizeReport(report({ imported: 1, duplicates: 1 }))).toBe('1 imported, 1 duplicate');
    expect(summarizeReport(report({ unchanged: 4, skipped: 2 }))).toBe('0 imported, 4 unchanged, 2 skipped');
    expect(plural(2, 'photo')).toBe('2 photos');
    // Photos that joined an event say which one.
    expect(summarizeReport(report({ imported: 12, event: 'wedding', joined: 12 }))).toBe(
      '12 imported · 12 photos added to wedding',
    );
  });

  it('formats waits in seconds, minutes and hours', () => {
    expect(formatDuration(0)).toBe('0.0 s');
    expect(formatDuration(4_240)).toBe('4.2 s');
    expect(formatDuration(9_960)).toBe('10 s');
    expect(formatDuration(42_400)).toBe('42 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(3_900_000)).toBe('1 h 5 min');
  });
});
