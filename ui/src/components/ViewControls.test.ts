import { render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { View } from '../lib/tiles';
import ViewControls from './ViewControls.svelte';

const participants = [
  { id: 'anna', name: 'Anna' },
  { id: 'ben', name: 'Ben' },
];

function view(filter: View['filter']): View {
  return { filter, sort: 'captured', newestFirst: true };
}

describe('ViewControls', () => {
  it('shows a participant filter set elsewhere (the events panel) in its select', async () => {
    const { rerender } = render(ViewControls, {
      props: { view: view({ kind: 'all' }), participants, onChange: vi.fn() },
    });
    const select = screen.getByTestId('filter-participant') as HTMLSelectElement;
    expect(select.value).toBe('');
    await rerender({ view: view({ kind: 'participant', id: 'ben' }) });
    expect(select.value).toBe('ben');
    await rerender({ view: view({ kind: 'all' }) });
    expect(select.value).toBe('');
  });
});
