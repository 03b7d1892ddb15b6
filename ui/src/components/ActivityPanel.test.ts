import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { activity } from '../tests/fixtures';
import ActivityPanel from './ActivityPanel.svelte';

describe('ActivityPanel sync block', () => {
  it('shows the outbox, bytes per photo and the import → guests latency', () => {
    render(ActivityPanel, {
      activity: activity({
        sync: {
          pending: 12,
          pushed: 1_204,
          failed: 2,
          bytes_per_photo: 612_400,
          latency_p50_ms: 4_240,
          latency_p95_ms: 11_300,
        },
      }),
    });
    const block = screen.getByTestId('sync-stats');
    expect(block.textContent).toContain('2 failed');
    expect(screen.getByTestId('sync-pending').textContent).toBe('12');
    expect(screen.getByTestId('sync-pushed').textContent).toBe('1,204');
    expect(screen.getByTestId('sync-failed').textContent).toBe('2');
    expect(screen.getByTestId('sync-bytes').textContent).toBe('612 KB per photo');
    expect(screen.getByTestId('sync-latency').textContent?.trim()).toBe('Import → guests: median 4.2 s, 95 % 11 s');
  });

  it('leaves out the figures the engine does not have yet', () => {
    render(ActivityPanel, { activity: activity({ sync: { pending: 3, pushed: 0, failed: 0 } }) });
    expect(screen.getByTestId('sync-pending').textContent).toBe('3');
    expect(screen.getByTestId('sync-stats').querySelector('.badge')).toBeNull(); // no "N failed"
    expect(screen.queryByTestId('sync-bytes')).toBeNull();
    expect(screen.queryByTestId('sync-latency')).toBeNull();
  });

  it('has no sync block before anything was synced', () => {
    render(ActivityPanel, { activity: activity({ sync: { pending: 0, pushed: 0, failed: 0 } }) });
    expect(screen.getByTestId('cache-stats')).toBeTruthy();
    expect(screen.queryByTestId('sync-stats')).toBeNull();
  });
});

describe('ActivityPanel deletions block', () => {
  it('says what waits to be deleted from AWS and why', () => {
    render(ActivityPanel, {
      activity: activity({
        deletions: {
          pending: 2,
          failed: 0,
          rekognition_faces: 4,
          rekognition_collections: 1,
          reason: 'AWS sign-in needed: set up the AWS account the event was matched with',
        },
      }),
    });
    expect(screen.getByTestId('deletion-what').textContent).toBe('4 faces and 1 collection in AWS Rekognition');
    expect(screen.getByTestId('deletion-reason').textContent).toContain('AWS sign-in needed');
    expect(screen.getByTestId('deletion-stats').querySelector('.badge')).toBeNull();
  });

  it('counts failed tries', () => {
    render(ActivityPanel, {
      activity: activity({
        deletions: { pending: 0, failed: 1, rekognition_faces: 1, rekognition_collections: 0, reason: 'throttled' },
      }),
    });
    expect(screen.getByTestId('deletion-stats').textContent).toContain('1 failed');
    expect(screen.getByTestId('deletion-what').textContent).toBe('1 face in AWS Rekognition');
  });

  it('has no deletions block when nothing waits', () => {
    render(ActivityPanel, { activity: activity() });
    expect(screen.queryByTestId('deletion-stats')).toBeNull();
  });
});
