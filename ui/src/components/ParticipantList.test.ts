// The participant list shows each selfie with the face(s) found in it; with
// several, each face is a button that picks it, and the list is read again.
import { mockConvertFileSrc } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { Events } from '../lib/events.svelte';
import { event, fakeEventsApi, participant, type EventsBackend } from '../tests/fixtures';
import ParticipantList from './ParticipantList.svelte';

const SEVERAL = 'several faces (2) in the selfie: pick one';

function state(): EventsBackend {
  return {
    events: [event('wedding', { name: 'Wedding', active: true })],
    participants: {
      wedding: [
        participant('anna', { name: 'Anna K' }),
        participant('ben', {
          name: 'Ben',
          indexed: false,
          face: null,
          error: SEVERAL,
          faces: [
            { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
            { left: 0.6, top: 0.25, width: 0.25, height: 0.3 },
          ],
        }),
        participant('cy', { name: 'Cy', selfie: false, faces: [], face: null, indexed: false }),
      ],
    },
  };
}

async function setup(backend = state()) {
  mockConvertFileSrc('linux');
  const api = fakeEventsApi(backend);
  const events = new Events(api, vi.fn());
  await events.load();
  render(ParticipantList, { props: { events } });
  return { api, events, backend };
}

const row = (id: string) => screen.getAllByTestId('participant-row').find((r) => r.dataset.id === id) as HTMLElement;
const inRow = (id: string, testId: string) => Array.from(row(id).querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`));
const one = (id: string, testId: string) => {
  const found = inRow(id, testId);
  expect(found).toHaveLength(1);
  return found[0] as HTMLElement;
};

describe('ParticipantList', () => {
  it('shows each selfie with the face box found in it', async () => {
    await setup();
    const selfie = one('anna', 'participant-selfie-image');
    const img = selfie.querySelector('img') as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('thumb://localhost/selfie/wedding/anna');
    expect(img.getAttribute('alt')).toBe('Selfie of Anna K');
    const face = one('anna', 'selfie-face-0');
    expect(face.tagName).toBe('DIV');
    expect(face.style.left).toBe('30%');
    expect(face.style.width).toBe('40%');
    expect(inRow('anna', 'selfie-face-1')).toHaveLength(0);
    // No selfie: said so, no picture.
    expect(inRow('cy', 'participant-selfie-image')).toHaveLength(0);
    expect(row('cy').textContent).toContain('No selfie');
  });

  it('offers every face of a group selfie and uses the one clicked', async () => {
    const { api, backend } = await setup();
    expect(row('ben').textContent).toContain(SEVERAL);
    expect(inRow('ben', 'participant-pick-hint')).toHaveLength(1);
    const [first, second] = [one('ben', 'selfie-face-0'), one('ben', 'selfie-face-1')];
    expect([first.tagName, second.tagName]).toEqual(['BUTTON', 'BUTTON']);
    expect(second.getAttribute('aria-label')).toBe('Use this face (2 of 2) for Ben');
    expect(second.style.left).toBe('60%');

    await fireEvent.click(screen.getByRole('button', { name: 'Use this face (2 of 2) for Ben' }));
    await waitFor(() => expect(api.pickParticipantFace).toHaveBeenCalledExactlyOnceWith('wedding', 'ben', 1));
    // The list is read again: the row no longer asks for a face.
    await waitFor(() => expect(inRow('ben', 'participant-pick-hint')).toHaveLength(0));
    expect(api.eventParticipants).toHaveBeenCalledTimes(2);
    expect(row('ben').textContent).not.toContain(SEVERAL);
    expect(backend.participants.wedding?.find((p) => p.id === 'ben')?.error).toBeNull();
  });
});
