import { describe, expect, it } from 'vitest';
import { formatEta, formatRate, RateMeter } from './rate';

describe('RateMeter', () => {
  it('says nothing until it has seen about a second', () => {
    const m = new RateMeter(10_000);
    expect(m.rate()).toBeNull();
    m.add(0, 0);
    m.add(500, 20);
    expect(m.rate()).toBeNull();
    expect(m.eta(100)).toBeNull();
    m.add(1000, 40);
    expect(m.rate()).toBe(40);
    expect(m.eta(200)).toBe(5);
  });

  it('measures over a sliding window only', () => {
    const m = new RateMeter(10_000);
    // 100/s for 20 s, then 10/s for 10 s: the window sees only the slow part.
    let done = 0;
    for (let t = 0; t <= 20_000; t += 1000) m.add(t, (done = t / 10));
    for (let t = 21_000; t <= 30_000; t += 1000) m.add(t, (done += 10));
    expect(m.rate()).toBeCloseTo(10, 5);
    expect(m.eta(50)).toBeCloseTo(5, 5);
  });

  it('starts over when the count goes backwards', () => {
    const m = new RateMeter(10_000);
    m.add(0, 500);
    m.add(2000, 700);
    m.add(3000, 0);
    expect(m.rate()).toBeNull();
    m.add(5000, 50);
    expect(m.rate()).toBe(25);
  });

  it('has nothing left when done, and no ETA at zero rate', () => {
    const m = new RateMeter();
    m.add(0, 5);
    m.add(2000, 5);
    expect(m.rate()).toBe(0);
    expect(m.eta(10)).toBeNull();
    expect(m.eta(0)).toBe(0);
  });
});

describe('formatting', () => {
  it('formats rates and ETAs for people', () => {
    expect(formatRate(null)).toBe('…');
    expect(formatRate(0.44)).toBe('0.4/s');
    expect(formatRate(37.2)).toBe('37/s');
    expect(formatRate(1234.4)).toBe('1,234/s');
    expect(formatEta(null)).toBe('estimating…');
    expect(formatEta(4.4)).toBe('4 s left');
    expect(formatEta(75)).toBe('1 min 15 s left');
    expect(formatEta(3 * 3600 + 120)).toBe('3 h 2 min left');
  });
});
