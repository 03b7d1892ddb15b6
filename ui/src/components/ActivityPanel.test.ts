import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { activity, cameraAccount, ftpStatus, liveStats } from '../tests/fixtures';
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

describe('ActivityPanel cameras and shutter to guest', () => {
  const T = new Date(2026, 5, 1, 14, 3, 22).getTime();

  it('shows each camera: connected or not, photos received, the last file and time, failures with the reason', () => {
    render(ActivityPanel, {
      activity: activity(),
      cameras: ftpStatus({
        running: true,
        port: 2121,
        accounts: [
          cameraAccount('z9', { connected: true, received: 1_204, last_file: 'DSC_0042.JPG', last_ms: T }),
          cameraAccount('r6', {
            received: 3,
            failed: 2,
            last_file: 'IMG_0003.JPG',
            last_ms: T,
            last_error: 'IMG_0004.JPG: the disk is full',
            last_error_ms: T + 5000,
          }),
        ],
      }),
    });
    const block = screen.getByTestId('cameras');
    expect(block.textContent).toContain('receiving on port 2121');
    const z9 = within(screen.getByTestId('camera-z9'));
    expect(z9.getByTestId('camera-connected').textContent).toBe('connected');
    expect(z9.getByTestId('camera-received').textContent).toBe('1,204');
    expect(z9.getByTestId('camera-last').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      `DSC_0042.JPG at ${new Date(T).toLocaleTimeString(undefined, { timeStyle: 'medium' })}`,
    );
    expect(z9.queryByTestId('camera-error')).toBeNull();
    const r6 = within(screen.getByTestId('camera-r6'));
    expect(r6.getByTestId('camera-connected').textContent).toBe('not connected');
    expect(screen.getByTestId('camera-r6').textContent).toContain('2 failed');
    expect(r6.getByTestId('camera-error').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      `Last failure at ${new Date(T + 5000).toLocaleTimeString(undefined, { timeStyle: 'medium' })}: IMG_0004.JPG: the disk is full`,
    );
  });

  it('says why the receiver is not running', () => {
    render(ActivityPanel, {
      activity: activity(),
      cameras: ftpStatus({ error: 'port 2121 is in use', accounts: [cameraAccount('z9')] }),
    });
    expect(screen.getByTestId('cameras').textContent).toContain('not receiving');
    expect(screen.getByTestId('cameras-error').textContent).toBe('port 2121 is in use');
  });

  it('has no cameras block without accounts or a running receiver', () => {
    render(ActivityPanel, { activity: activity(), cameras: ftpStatus() });
    expect(screen.queryByTestId('cameras')).toBeNull();
  });

  it('shows how long after its arrival the last photo was live, and p50/p95 per source with photos', () => {
    render(ActivityPanel, {
      activity: activity({
        live: liveStats({
          ftp: { photos: 120, latency_p50_ms: 4_200, latency_p95_ms: 8_900 },
          card: { photos: 500, latency_p50_ms: 42_000, latency_p95_ms: 185_000 },
          last: { source: 'ftp', latency_ms: 6_000, acknowledged_ms: T },
        }),
      }),
    });
    expect(screen.getByTestId('last-live').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Last photo live 6.0 s after it arrived (FTP)',
    );
    expect(screen.getByTestId('live-ftp').textContent?.trim()).toBe('FTP: median 4.2 s, 95 % 8.9 s (120 photos)');
    expect(screen.getByTestId('live-card').textContent?.trim()).toBe('Card: median 42 s, 95 % 3 min 5 s (500 photos)');
    expect(screen.queryByTestId('live-watch')).toBeNull();
    expect(screen.queryByTestId('live-import')).toBeNull();
  });

  it('names a watched folder as the source and leaves the block out before any photo was live', () => {
    const { unmount } = render(ActivityPanel, {
      activity: activity({ live: liveStats({ last: { source: 'watch', latency_ms: 2_500, acknowledged_ms: T } }) }),
    });
    expect(screen.getByTestId('last-live').textContent).toContain('(watched folder)');
    unmount();
    render(ActivityPanel, { activity: activity() });
    expect(screen.queryByTestId('live-stats')).toBeNull();
  });
});
