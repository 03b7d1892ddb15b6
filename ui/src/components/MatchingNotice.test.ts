import { render, screen, fireEvent } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import MatchingNotice from './MatchingNotice.svelte';
import { activity } from '../tests/fixtures';

describe('MatchingNotice', () => {
  afterEach(() => localStorage.clear());

  it('is shown while matching runs, and only until dismissed once', async () => {
    const running = activity();
    const first = render(MatchingNotice, { activity: running });
    expect(screen.getByTestId('rekognition-notice').textContent).toContain('opt-out policy');
    await fireEvent.click(screen.getByTestId('rekognition-notice-dismiss'));
    expect(screen.queryByTestId('rekognition-notice')).toBeNull();
    first.unmount();
    render(MatchingNotice, { activity: running });
    expect(screen.queryByTestId('rekognition-notice')).toBeNull();
  });

  it('stays hidden when faces are matched on this computer (nothing is sent)', () => {
    render(MatchingNotice, { activity: activity({ matcher: 'local' }) });
    expect(screen.queryByTestId('rekognition-notice')).toBeNull();
  });

  it('stays hidden when nothing is matched', () => {
    const idle = activity();
    idle.queues = idle.queues.map((q) => (q.kind === 'match' ? { ...q, workers: 0 } : q));
    render(MatchingNotice, { activity: idle });
    expect(screen.queryByTestId('rekognition-notice')).toBeNull();
  });
});
