import { mockConvertFileSrc } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../lib/api';
import { CLOSE_WARNING, Events, type EventsApi } from '../lib/events.svelte';
import { event, fakeEventsApi as fakeApi, participant, type EventsBackend } from '../tests/fixtures';
import EventsPanel from './EventsPanel.svelte';

function state(): EventsBackend {
  return {
    events: [
      event('wedding', { name: 'Wedding', active: true }),
      event('gala', { name: 'Gala', threshold: 92.5 }),
      event('expo', { name: 'Expo 2025', closed: true }),
    ],
    participants: {
      wedding: [
        participant('anna', { name: 'Anna K' }),
        participant('ben', { name: 'Ben', indexed: false, error: 'no face found in the selfie' }),
      ],
      gala: [],
    },
  };
}

// The participants' selfies are thumb:// URLs.
beforeEach(() => mockConvertFileSrc('linux'));

function setup(backend = state(), overrides: Partial<EventsApi> = {}) {
  const api = fakeApi(backend, overrides);
  const changed = vi.fn();
  const onClose = vi.fn();
  const onShowPhotos = vi.fn();
  const events = new Events(api, changed);
  render(EventsPanel, { props: { events, onClose, onShowPhotos } });
  return { api, changed, onClose, onShowPhotos, events };
}

const row = (testId: string, id: string) =>
  screen.getAllByTestId(testId).find((r) => r.dataset.id === id) as HTMLElement;

async function eventRows(count: number) {
  await waitFor(() => expect(screen.getAllByTestId('event-row')).toHaveLength(count));
}

describe('EventsPanel', () => {
  it('lists the events with the active one marked, and the active event\'s participants', async () => {
    setup();
    await eventRows(3);
    const wedding = row('event-row', 'wedding');
    expect(wedding.getAttribute('aria-current')).toBe('true');
    expect(within(wedding).getByTestId('event-state').textContent).toContain('Active');
    expect(within(wedding).queryByRole('button', { name: 'Use Wedding' })).toBeNull();
    const gala = row('event-row', 'gala');
    expect(gala.getAttribute('aria-current')).toBeNull();
    expect(gala.textContent).toContain('92.5');
    expect(within(gala).getByRole('button', { name: 'Use Gala' })).toBeTruthy();
    const expo = row('event-row', 'expo');
    expect(within(expo).getByTestId('event-state').textContent).toContain('Closed');
    expect(within(expo).queryAllByRole('button')).toHaveLength(0); // closed: no use, no close

    expect(screen.getByText('Participants of Wedding')).toBeTruthy();
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(2));
    const anna = row('participant-row', 'anna');
    expect(anna.textContent).toContain('Anna K');
    expect(within(anna).getByRole('switch', { name: 'Consent of Anna K' }).getAttribute('aria-checked')).toBe('true');
    expect(within(anna).getByTestId('participant-indexed').textContent?.trim()).toBe('Yes');
    expect(within(row('participant-row', 'ben')).getByTestId('participant-indexed').textContent).toContain(
      'no face found in the selfie',
    );
  });

  it('asks before closing an event and closes it only when confirmed', async () => {
    const { api, changed } = setup();
    await eventRows(3);
    await fireEvent.click(screen.getByRole('button', { name: 'Close Gala…' }));
    const ask = screen.getByRole('alertdialog');
    expect(ask.textContent).toContain('Close the event “Gala”?');
    expect(ask.textContent).toContain(CLOSE_WARNING);
    expect(CLOSE_WARNING).toMatch(/face collection at AWS Rekognition/);
    expect(CLOSE_WARNING).toMatch(/selfies/);
    expect(CLOSE_WARNING).toMatch(/nothing more is matched/);
    expect(CLOSE_WARNING).toMatch(/matches found so far stay/);
    expect(CLOSE_WARNING).toMatch(/cannot be reopened/);
    expect(document.activeElement).toBe(within(ask).getByRole('button', { name: 'Cancel' }));

    await fireEvent.click(within(ask).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(api.closeEvent).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByRole('button', { name: 'Close Gala…' }));
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Close event' }));
    await waitFor(() => expect(within(row('event-row', 'gala')).getByTestId('event-state').textContent).toContain('Closed'));
    expect(api.closeEvent).toHaveBeenCalledExactlyOnceWith('gala', false);
    expect(changed).toHaveBeenCalledTimes(1);
    expect(within(row('event-row', 'gala')).queryAllByRole('button')).toHaveLength(0);
  });

  it('closes an event and, when asked, takes its photos off the server', async () => {
    const { api } = setup();
    await eventRows(3);
    await fireEvent.click(screen.getByRole('button', { name: 'Close Gala…' }));
    const ask = screen.getByRole('alertdialog');
    expect(CLOSE_WARNING).toMatch(/photos on the event server/);
    const withdraw = within(ask).getByTestId('close-withdraw') as HTMLInputElement;
    expect(withdraw.checked).toBe(false);
    await fireEvent.click(withdraw);
    await fireEvent.click(within(ask).getByRole('button', { name: 'Close event' }));
    await waitFor(() => expect(api.closeEvent).toHaveBeenCalledExactlyOnceWith('gala', true));
  });

  it('Esc cancels the question first, then closes the panel', async () => {
    const { api, onClose } = setup();
    await eventRows(3);
    await fireEvent.click(screen.getByRole('button', { name: 'Close Gala…' }));
    const panel = screen.getByTestId('events-panel');
    await fireEvent.keyDown(panel, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(onClose).not.toHaveBeenCalled();
    await fireEvent.keyDown(panel, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(api.closeEvent).not.toHaveBeenCalled();
  });

  it('is a modal dialog that takes the focus', async () => {
    setup();
    const panel = screen.getByRole('dialog', { name: 'Events' });
    expect(panel.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(panel);
    await eventRows(3);
  });

  it('keeps Tab inside the dialog', async () => {
    setup();
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(2));
    const panel = screen.getByTestId('events-panel');
    const close = screen.getByTestId('events-close');
    const last = screen.getByTestId('participants-names');
    last.focus();
    await fireEvent.keyDown(panel, { key: 'Tab' });
    expect(document.activeElement).toBe(close);
    await fireEvent.keyDown(panel, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(last);
  });

  it('uses another event: the mark moves and its participants are shown', async () => {
    const { api, changed } = setup();
    await eventRows(3);
    await fireEvent.click(screen.getByRole('button', { name: 'Use Gala' }));
    await waitFor(() => expect(row('event-row', 'gala').getAttribute('aria-current')).toBe('true'));
    expect(api.useEvent).toHaveBeenCalledWith('gala');
    expect(row('event-row', 'wedding').getAttribute('aria-current')).toBeNull();
    expect(changed).toHaveBeenCalledTimes(1);
    // Gala has nobody yet: the empty state says how to add participants, here.
    const empty = await screen.findByTestId('participants-empty');
    expect(empty.textContent).toContain('No participants in Gala yet');
    expect(empty.textContent).not.toContain('findme');
    expect(screen.getByTestId('participant-form')).toBeTruthy();
  });

  it('toggles consent with the right arguments and updates the row', async () => {
    const { api, changed } = setup();
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(2));
    const toggle = within(row('participant-row', 'anna')).getByRole('switch', { name: 'Consent of Anna K' });
    expect(toggle.textContent).toBe('Given');
    await fireEvent.click(toggle);
    await waitFor(() =>
      expect(within(row('participant-row', 'anna')).getByRole('switch').getAttribute('aria-checked')).toBe('false'),
    );
    expect(within(row('participant-row', 'anna')).getByRole('switch').textContent).toBe('Withdrawn');
    expect(api.setConsent).toHaveBeenCalledExactlyOnceWith('wedding', 'anna', false);
    await waitFor(() => expect(changed).toHaveBeenCalledTimes(1));

    await fireEvent.click(within(row('participant-row', 'anna')).getByRole('switch'));
    await waitFor(() => expect(api.setConsent).toHaveBeenLastCalledWith('wedding', 'anna', true));
  });

  it('removes a participant only after confirming', async () => {
    const { api } = setup();
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(2));
    await fireEvent.click(screen.getByRole('button', { name: 'Remove Ben…' }));
    expect(screen.getByRole('alertdialog').textContent).toContain('Remove Ben?');
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(api.removeParticipant).not.toHaveBeenCalled();
    expect(screen.getAllByTestId('participant-row')).toHaveLength(2);

    await fireEvent.click(screen.getByRole('button', { name: 'Remove Ben…' }));
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(1));
    expect(api.removeParticipant).toHaveBeenCalledExactlyOnceWith('wedding', 'ben');
  });

  it('says who matched each event and sets the active event\'s on-device threshold', async () => {
    const backend = state();
    backend.events[0] = event('wedding', { name: 'Wedding', active: true, backend: 'local', local_threshold: 0.4 });
    backend.events[1] = event('gala', { name: 'Gala', threshold: 92.5, backend: 'rekognition' });
    const { api } = setup(backend);
    await eventRows(3);
    const wedding = row('event-row', 'wedding');
    expect(within(wedding).getByTestId('event-matcher').textContent).toBe('On this computer');
    expect(within(wedding).getByTestId('event-threshold').textContent).toBe('0.40');
    const gala = row('event-row', 'gala');
    expect(within(gala).getByTestId('event-matcher').textContent).toBe('AWS Rekognition');
    expect(within(gala).getByTestId('event-threshold').textContent).toBe('92.5');
    expect(within(row('event-row', 'expo')).getByTestId('event-matcher').textContent).toBe('Not matched yet');

    await fireEvent.input(screen.getByTestId('local-threshold'), { target: { value: '0.5' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Set' }));
    await waitFor(() => expect(within(row('event-row', 'wedding')).getByTestId('event-threshold').textContent).toBe('0.50'));
    expect(api.setLocalThreshold).toHaveBeenCalledExactlyOnceWith('wedding', 0.5);
    await waitFor(() => expect((screen.getByTestId('local-threshold') as HTMLInputElement).value).toBe(''));
  });

  it("shows a participant's photos in the gallery from their photo count", async () => {
    const backend = state();
    backend.participants.wedding = [
      participant('anna', { name: 'Anna K', photos: 4 }),
      participant('ben', { name: 'Ben', photos: 0 }),
    ];
    const { onShowPhotos } = setup(backend);
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(2));
    expect(within(row('participant-row', 'ben')).queryByTestId('participant-photos-show')).toBeNull();
    await fireEvent.click(within(row('participant-row', 'anna')).getByTestId('participant-photos-show'));
    expect(onShowPhotos).toHaveBeenCalledExactlyOnceWith('anna');
  });

  it('adds the photos taken in a time range to the active event', async () => {
    const { api } = setup(state(), {
      assignTaken: vi.fn<Api['assignTaken']>(async () => ({ added: 12, already: 2, unknown: [] })),
    });
    await eventRows(3);
    await fireEvent.input(screen.getByTestId('taken-from'), { target: { value: '2026-06-01T14:00' } });
    await fireEvent.input(screen.getByTestId('taken-to'), { target: { value: '2026-06-01T16:30' } });
    await fireEvent.click(screen.getByTestId('taken-add'));
    await waitFor(() =>
      expect(screen.getByTestId('taken-report').textContent).toBe('12 photos added to Wedding (2 already in it).'),
    );
    const from = new Date(2026, 5, 1, 14, 0).getTime();
    const to = new Date(2026, 5, 1, 16, 30).getTime() + 59_999;
    expect(api.assignTaken).toHaveBeenCalledExactlyOnceWith('wedding', from, to);
  });

  it('refuses a time range that ends before it starts', async () => {
    const { api } = setup();
    await eventRows(3);
    await fireEvent.input(screen.getByTestId('taken-from'), { target: { value: '2026-06-01T16:00' } });
    await fireEvent.input(screen.getByTestId('taken-to'), { target: { value: '2026-06-01T14:00' } });
    await fireEvent.click(screen.getByTestId('taken-add'));
    await waitFor(() => expect(screen.getByTestId('events-error').textContent).toMatch(/first one before the last/));
    expect(api.assignTaken).not.toHaveBeenCalled();
  });

  it("chooses what the active event's server shows", async () => {
    const { api } = setup();
    await eventRows(3);
    const matched = screen.getByTestId('publish-matched') as HTMLInputElement;
    const all = screen.getByTestId('publish-all') as HTMLInputElement;
    expect(matched.checked).toBe(true);
    expect(all.checked).toBe(false);
    await fireEvent.click(all);
    await waitFor(() => expect(api.setPublishChoice).toHaveBeenCalledExactlyOnceWith('wedding', 'all'));
    await waitFor(() => expect((screen.getByTestId('publish-all') as HTMLInputElement).checked).toBe(true));
    expect((screen.getByTestId('publish-matched') as HTMLInputElement).checked).toBe(false);
  });

  it('creates an event from the form and clears it', async () => {
    const { api } = setup();
    await eventRows(3);
    await fireEvent.input(screen.getByTestId('new-event-id'), { target: { value: 'party' } });
    await fireEvent.input(screen.getByTestId('new-event-name'), { target: { value: 'Summer party' } });
    await fireEvent.click(screen.getByTestId('new-event-rekognition'));
    await fireEvent.input(screen.getByTestId('new-event-threshold'), { target: { value: '75' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create event' }));
    await eventRows(4);
    expect(api.createEvent).toHaveBeenCalledWith('party', 'Summer party', 75, 'rekognition');
    expect(row('event-row', 'party').textContent).toContain('Summer party');
    await waitFor(() => expect((screen.getByTestId('new-event-id') as HTMLInputElement).value).toBe(''));
    expect((screen.getByTestId('new-event-threshold') as HTMLInputElement).value).toBe('');
  });

  it('creates an event matched on this computer by default, its threshold in that scale', async () => {
    const { api, events } = setup();
    await eventRows(3);
    expect((screen.getByTestId('new-event-local') as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId('new-event-threshold').getAttribute('placeholder')).toBe('0.40');
    await fireEvent.input(screen.getByTestId('new-event-id'), { target: { value: 'race' } });
    await fireEvent.input(screen.getByTestId('new-event-threshold'), { target: { value: '75' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create event' }));
    await waitFor(() => expect(events.error).toContain('from 0 to 1'));
    expect(api.createEvent).not.toHaveBeenCalled();
    await fireEvent.input(screen.getByTestId('new-event-threshold'), { target: { value: '0.5' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create event' }));
    await eventRows(4);
    expect(api.createEvent).toHaveBeenCalledExactlyOnceWith('race', 'race', 0.5, 'local');
    expect(within(row('event-row', 'race')).getByTestId('event-matcher').textContent).toBe('On this computer');
  });

  it('adds a participant with a picked selfie, and imports a folder of selfies', async () => {
    const api = fakeApi(state());
    const events = new Events(api, vi.fn());
    const pickers = {
      selfie: vi.fn(async () => '/home/me/selfies/Carla.JPG'),
      folder: vi.fn(async () => '/home/me/guests'),
      names: vi.fn(async () => '/home/me/guests.csv'),
    };
    render(EventsPanel, { props: { events, onClose: vi.fn(), pickers } });
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(2));
    // Without a selfie the form says what is missing and sends nothing.
    await fireEvent.input(screen.getByTestId('participant-name'), { target: { value: 'Carla Díaz' } });
    await fireEvent.click(screen.getByTestId('participant-add'));
    await waitFor(() => expect(screen.getByTestId('events-error').textContent).toContain('Choose a selfie of Carla Díaz'));
    expect(api.addParticipant).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId('participant-selfie'));
    await waitFor(() => expect(screen.getByTestId('participant-selfie').textContent?.trim()).toBe('Carla.JPG'));
    await fireEvent.click(screen.getByTestId('participant-add'));
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(3));
    expect(api.addParticipant).toHaveBeenCalledExactlyOnceWith('wedding', null, 'Carla Díaz', '/home/me/selfies/Carla.JPG');
    await waitFor(() => expect((screen.getByTestId('participant-name') as HTMLInputElement).value).toBe(''));

    // A pasted path works as well as the picker.
    await fireEvent.input(screen.getByTestId('participant-name'), { target: { value: 'Dan' } });
    await fireEvent.input(screen.getByTestId('participant-selfie-path'), { target: { value: ' /srv/dan.png ' } });
    await fireEvent.click(screen.getByTestId('participant-add'));
    await waitFor(() => expect(api.addParticipant).toHaveBeenLastCalledWith('wedding', null, 'Dan', '/srv/dan.png'));
    await waitFor(() => expect((screen.getByTestId('participant-selfie-path') as HTMLInputElement).value).toBe(''));

    await fireEvent.click(screen.getByTestId('participants-names'));
    await waitFor(() => expect(screen.getByTestId('participants-names').textContent).toContain('guests.csv'));
    await fireEvent.click(screen.getByTestId('participants-import'));
    await waitFor(() => expect(screen.getByTestId('participants-imported').textContent).toContain('1 participant added'));
    expect(screen.getByTestId('participants-imported').textContent).toContain('notes.txt: not a photo');
    expect(api.importParticipants).toHaveBeenCalledExactlyOnceWith('wedding', '/home/me/guests', '/home/me/guests.csv');
  });

  it('shows command errors in plain words', async () => {
    setup(state(), {
      setConsent: vi.fn<Api['setConsent']>(async () => {
        throw 'no participant anna in event wedding';
      }),
    });
    await waitFor(() => expect(screen.getAllByTestId('participant-row')).toHaveLength(2));
    await fireEvent.click(screen.getByRole('switch', { name: 'Consent of Anna K' }));
    const error = await screen.findByRole('alert');
    expect(error.textContent).toBe('Could not withdraw the consent of Anna K: no participant anna in event wedding');
    expect(screen.getByRole('switch', { name: 'Consent of Anna K' }).getAttribute('aria-checked')).toBe('true');
  });

  it('offers to close again when the face collection could not be deleted', async () => {
    const backend = state();
    setup(backend, {
      closeEvent: vi.fn<Api['closeEvent']>(async (id) => {
        const e = backend.events.find((x) => x.id === id);
        if (e) e.closed = true;
        throw new ApiError(
          'unavailable',
          `the event is closed, but its face collection findme-${id} could not be deleted: timeout (close it again to retry)`,
        );
      }),
    });
    await eventRows(3);
    await fireEvent.click(screen.getByRole('button', { name: 'Close Gala…' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Close event' }));
    expect((await screen.findByRole('alert')).textContent).toContain('could not be deleted');
    expect(await screen.findByRole('button', { name: 'Close Gala again…' })).toBeTruthy();
    // A closed event whose collection went is not offered again.
    expect(within(row('event-row', 'expo')).queryAllByRole('button')).toHaveLength(0);
  });

  it('says when there are no events yet', async () => {
    setup({ events: [], participants: {} });
    expect((await screen.findByTestId('events-empty')).textContent).toContain('Create the first one');
    expect(screen.getByTestId('participants-no-event')).toBeTruthy();
  });
});
