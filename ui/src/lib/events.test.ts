import { describe, expect, it, vi } from 'vitest';
import { event, fakeEventsApi as fakeApi, participant, type EventsBackend } from '../tests/fixtures';
import { ApiError, type Api } from './api';
import { Events, matcherLabel } from './events.svelte';

function twoEvents(): EventsBackend {
  return {
    events: [event('wedding', { name: 'Wedding', active: true }), event('gala', { name: 'Gala', threshold: 90 })],
    participants: {
      wedding: [participant('anna', { name: 'Anna K' }), participant('ben', { name: 'Ben', indexed: false, error: 'no face found in the selfie' })],
      gala: [participant('carl', { name: 'Carl' })],
    },
  };
}

describe('Events', () => {
  it('loads the events and the active event\'s participants', async () => {
    const api = fakeApi(twoEvents());
    const events = new Events(api);
    expect(events.loaded).toBe(false);
    await events.load();
    expect(events.loaded).toBe(true);
    expect(events.list.map((e) => e.id)).toEqual(['wedding', 'gala']);
    expect(events.active?.id).toBe('wedding');
    expect(api.eventParticipants).toHaveBeenCalledWith('wedding');
    expect(events.participants.map((p) => p.id)).toEqual(['anna', 'ben']);
    expect(events.error).toBeNull();
  });

  it('has no participants and asks for none without an active event', async () => {
    const api = fakeApi({ events: [event('gala')], participants: {} });
    const events = new Events(api);
    await events.load();
    expect(events.active).toBeNull();
    expect(events.participants).toEqual([]);
    expect(api.eventParticipants).not.toHaveBeenCalled();
  });

  it('creates an event, then refreshes the list and tells the studio', async () => {
    const state: EventsBackend = { events: [], participants: {} };
    const api = fakeApi(state);
    const changed = vi.fn();
    const events = new Events(api, changed);
    await events.load();
    expect(await events.create(' wedding-2026 ', ' Wedding of A & B ', ' 85.5 ', 'rekognition')).toBe(true);
    expect(api.createEvent).toHaveBeenCalledWith('wedding-2026', 'Wedding of A & B', 85.5, 'rekognition');
    expect(events.list).toEqual([
      event('wedding-2026', { name: 'Wedding of A & B', threshold: 85.5, active: true, backend: 'rekognition' }),
    ]);
    expect(changed).toHaveBeenCalledTimes(1);
    expect(events.busy).toBe(false);
  });

  it.each([
    ['1.5', 'from 0 to 1'],
    ['75', 'from 0 to 1'],
  ])('an event matched on this computer takes its threshold from 0 to 1, not %j', async (threshold, message) => {
    const api = fakeApi({ events: [], participants: {} });
    const events = new Events(api);
    expect(await events.create('race', '', threshold, 'local')).toBe(false);
    expect(events.error).toContain(message);
    expect(api.createEvent).not.toHaveBeenCalled();
  });

  it('creates with the default threshold and the id as name when those are left empty', async () => {
    const api = fakeApi({ events: [], participants: {} });
    const events = new Events(api);
    expect(await events.create('gala', '', '')).toBe(true);
    expect(api.createEvent).toHaveBeenCalledWith('gala', 'gala', null, 'local');
  });

  it.each([
    ['', '', 'Type an id for the event first'],
    ['my event', '', 'may only use letters, digits'],
    // The event server refuses '.' and ids past 64 characters: so does the app.
    ['gala.2026', '', 'may only use letters, digits'],
    ['x'.repeat(65), '', 'may only use letters, digits'],
    ['gala', '101', 'a number from 0 to 100'],
    ['gala', 'high', 'a number from 0 to 100'],
    ['wedding', '', 'There already is an event "wedding"'],
  ])('refuses id %j with threshold %j before asking the engine', async (id, threshold, message) => {
    const api = fakeApi(twoEvents());
    const changed = vi.fn();
    const events = new Events(api, changed);
    await events.load();
    expect(await events.create(id, 'Name', threshold, 'rekognition')).toBe(false);
    expect(events.error).toContain(message);
    expect(api.createEvent).not.toHaveBeenCalled();
    expect(changed).not.toHaveBeenCalled();
  });

  it('uses an event: it becomes the active one and its participants are shown', async () => {
    const api = fakeApi(twoEvents());
    const changed = vi.fn();
    const events = new Events(api, changed);
    await events.load();
    expect(await events.use('gala')).toBe(true);
    expect(api.useEvent).toHaveBeenCalledWith('gala');
    expect(events.active?.id).toBe('gala');
    expect(events.list.find((e) => e.id === 'wedding')?.active).toBe(false);
    expect(events.participants.map((p) => p.id)).toEqual(['carl']);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('sets the on-device threshold, refusing what is not a cosine from 0 to 1', async () => {
    const api = fakeApi(twoEvents());
    const changed = vi.fn();
    const events = new Events(api, changed);
    await events.load();
    for (const bad of ['', 'strict', '80', '-0.1', '1.5']) {
      expect(await events.setLocalThreshold('gala', bad)).toBe(false);
      expect(events.error).toContain('from 0 to 1');
    }
    expect(api.setLocalThreshold).not.toHaveBeenCalled();
    expect(await events.setLocalThreshold('gala', ' 0.55 ')).toBe(true);
    expect(api.setLocalThreshold).toHaveBeenCalledExactlyOnceWith('gala', 0.55);
    expect(events.list.find((e) => e.id === 'gala')?.local_threshold).toBe(0.55);
    expect(events.error).toBeNull();
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('names who matches an event', () => {
    expect(matcherLabel('local')).toBe('On this computer');
    expect(matcherLabel('rekognition')).toBe('AWS Rekognition');
    expect(matcherLabel(null)).toBe('Not matched yet');
  });

  it('closes an event only once the confirmation is confirmed', async () => {
    const api = fakeApi(twoEvents());
    const changed = vi.fn();
    const events = new Events(api, changed);
    await events.load();
    const gala = events.list.find((e) => e.id === 'gala');
    if (!gala) throw new Error('no gala');

    events.askClose(gala);
    expect(events.confirmation).toEqual({ kind: 'close', event: gala });
    events.cancel();
    expect(events.confirmation).toBeNull();
    expect(api.closeEvent).not.toHaveBeenCalled();

    events.askClose(gala);
    expect(await events.confirm()).toBe(true);
    expect(api.closeEvent).toHaveBeenCalledExactlyOnceWith('gala', false);
    expect(events.confirmation).toBeNull();
    expect(events.list.find((e) => e.id === 'gala')?.closed).toBe(true);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('says why closing failed, keeps the list fresh, and offers to close again', async () => {
    const state = twoEvents();
    const api = fakeApi(state, {
      closeEvent: vi.fn<Api['closeEvent']>(async (id) => {
        const e = state.events.find((x) => x.id === id);
        if (e) e.closed = true; // closed first, then the deletion fails
        throw new ApiError(
          'unavailable',
          'the event is closed, but its face collection findme-gala could not be deleted: timeout (close it again to retry)',
        );
      }),
    });
    const changed = vi.fn();
    const events = new Events(api, changed);
    await events.load();
    const gala = events.list.find((e) => e.id === 'gala');
    if (!gala) throw new Error('no gala');
    events.askClose(gala);
    expect(await events.confirm()).toBe(false);
    expect(events.error).toBe(
      'Could not close the event "gala": the event is closed, but its face collection findme-gala could not be deleted: timeout (close it again to retry)',
    );
    expect(events.list.find((e) => e.id === 'gala')?.closed).toBe(true);
    expect(events.closeFailed).toEqual(['gala']);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('offers to close again only when the face service was out of reach', async () => {
    const api = fakeApi(twoEvents(), {
      closeEvent: vi.fn<Api['closeEvent']>(async () => {
        throw new ApiError('not_found', 'no event gala');
      }),
    });
    const events = new Events(api);
    await events.load();
    const gala = events.list.find((e) => e.id === 'gala');
    if (!gala) throw new Error('no gala');
    events.askClose(gala);
    expect(await events.confirm()).toBe(false);
    expect(events.error).toBe('Could not close the event "gala": no event gala');
    expect(events.closeFailed).toEqual([]);
  });

  it('sets consent with the active event and the participant, and updates the row', async () => {
    const api = fakeApi(twoEvents());
    const events = new Events(api);
    await events.load();
    const anna = events.participants[0];
    if (!anna) throw new Error('no anna');
    expect(await events.setConsent(anna, false)).toBe(true);
    expect(api.setConsent).toHaveBeenCalledWith('wedding', 'anna', false);
    expect(events.participants[0]).toMatchObject({ id: 'anna', consent: false, indexed: false });
  });

  it('shows the consent answer even before the list is read again', async () => {
    const state = twoEvents();
    let gate: Promise<void> = Promise.resolve();
    const api = fakeApi(state, {
      events: vi.fn<Api['events']>(async () => {
        await gate;
        return state.events.map((e) => ({ ...e }));
      }),
    });
    const events = new Events(api);
    await events.load();
    let release: () => void = () => {};
    gate = new Promise((resolve) => (release = resolve));
    const anna = events.participants[0];
    if (!anna) throw new Error('no anna');
    const done = events.setConsent(anna, false);
    await vi.waitFor(() => expect(events.participants[0]?.consent).toBe(false));
    expect(events.busy).toBe(true);
    release();
    await done;
    expect(events.busy).toBe(false);
    expect(events.participants[0]?.consent).toBe(false);
  });

  it('removes a participant only once confirmed', async () => {
    const api = fakeApi(twoEvents());
    const changed = vi.fn();
    const events = new Events(api, changed);
    await events.load();
    const ben = events.participants[1];
    if (!ben) throw new Error('no ben');
    events.askRemove(ben);
    expect(events.confirmation).toEqual({ kind: 'remove', event: 'wedding', participant: ben });
    events.cancel();
    expect(api.removeParticipant).not.toHaveBeenCalled();
    events.askRemove(ben);
    expect(await events.confirm()).toBe(true);
    expect(api.removeParticipant).toHaveBeenCalledExactlyOnceWith('wedding', 'ben');
    expect(events.participants.map((p) => p.id)).toEqual(['anna']);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('puts command errors into words and clears them on the next success', async () => {
    const api = fakeApi(twoEvents(), {
      useEvent: vi.fn<Api['useEvent']>(async () => {
        throw 'the event gala is closed: create a new event';
      }),
    });
    const events = new Events(api);
    await events.load();
    expect(await events.use('gala')).toBe(false);
    expect(events.error).toBe('Could not use the event "gala": the event gala is closed: create a new event');
    expect(await events.create('party', 'Party', '')).toBe(true);
    expect(events.error).toBeNull();
  });

  it('says when the events cannot be read', async () => {
    const api = fakeApi(twoEvents(), {
      events: vi.fn<Api['events']>(async () => {
        throw new Error('the catalog is busy');
      }),
    });
    const events = new Events(api);
    await events.load();
    expect(events.error).toBe('Could not read the events: the catalog is busy');
    expect(events.loaded).toBe(false);
  });
});
