import { emit } from '@tauri-apps/api/event';
import { mockConvertFileSrc, mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it, vi } from 'vitest';
import * as api from './api';
import type { EngineNotice } from './bindings/EngineNotice';

function recordCalls(answer: unknown = null) {
  const calls: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    return answer;
  });
  return calls;
}

describe('api wrapper', () => {
  it.each([
    [
      'tiles',
      () => api.tiles({ after: { key: 5, id: 7 }, limit: 1000, sort: 'imported', newest_first: false, filter: { kind: 'failed' } }),
      { query: { after: { key: 5, id: 7 }, limit: 1000, sort: 'imported', newest_first: false, filter: { kind: 'failed' } } },
    ],
    ['tile_changes', () => api.tileChanges(42), { since: 42 }],
    ['photo_detail', () => api.photoDetail(7), { id: 7 }],
    ['activity', () => api.activity(), {}],
    ['stats', () => api.stats(), {}],
    ['watched_folders', () => api.watchedFolders(), {}],
    ['add_watched_folder', () => api.addWatchedFolder('/mnt/card', true), { path: '/mnt/card', poll: true, event: { kind: 'active' } }],
    [
      'add_watched_folder',
      () => api.addWatchedFolder('/home', false, { kind: 'none' }),
      { path: '/home', poll: false, event: { kind: 'none' } },
    ],
    ['remove_watched_folder', () => api.removeWatchedFolder('/mnt/card'), { path: '/mnt/card' }],
    ['import_paths', () => api.importPaths(['/a.jpg', '/shoot']), { paths: ['/a.jpg', '/shoot'], event: { kind: 'active' } }],
    [
      'import_card',
      () => api.importCard(['/media/EOS_DIGITAL'], '/photos', null),
      { sources: ['/media/EOS_DIGITAL'], destination: '/photos', backup: null, event: { kind: 'active' } },
    ],
    [
      'import_card',
      () => api.importCard(['/a', '/b'], '/photos', '/backup', { kind: 'event', id: 'gala' }),
      { sources: ['/a', '/b'], destination: '/photos', backup: '/backup', event: { kind: 'event', id: 'gala' } },
    ],
    ['failures', () => api.failures(), {}],
    ['participants', () => api.participants(), {}],
    ['events', () => api.events(), {}],
    [
      'create_event',
      () => api.createEvent('wedding', 'Wedding', 85, 'rekognition'),
      { id: 'wedding', name: 'Wedding', threshold: 85, backend: 'rekognition' },
    ],
    ['create_event', () => api.createEvent('gala', 'Gala', null), { id: 'gala', name: 'Gala', threshold: null, backend: null }],
    ['use_event', () => api.useEvent('gala'), { id: 'gala' }],
    ['close_event', () => api.closeEvent('gala'), { id: 'gala', withdraw: false }],
    ['close_event', () => api.closeEvent('gala', true), { id: 'gala', withdraw: true }],
    ['set_local_threshold', () => api.setLocalThreshold('gala', 0.45), { id: 'gala', threshold: 0.45 }],
    ['set_publish_choice', () => api.setPublishChoice('gala', 'all'), { id: 'gala', choice: 'all' }],
    ['event_participants', () => api.eventParticipants('gala'), { event: 'gala' }],
    ['assign_photos', () => api.assignPhotos('gala', ['ab', 'cd']), { event: 'gala', photos: ['ab', 'cd'] }],
    ['assign_taken', () => api.assignTaken('gala', 1000, 2000), { event: 'gala', from: 1000, to: 2000 }],
    ['unassign_photos', () => api.unassignPhotos('gala', ['ab']), { event: 'gala', photos: ['ab'] }],
    ['set_published', () => api.setPublished('gala', ['ab'], false), { event: 'gala', photos: ['ab'], published: false }],
    [
      'add_participant',
      () => api.addParticipant('gala', null, 'Anna K', '/s/anna.jpg'),
      { event: 'gala', id: null, name: 'Anna K', selfie: '/s/anna.jpg' },
    ],
    [
      'import_participants',
      () => api.importParticipants('gala', '/guests', null),
      { event: 'gala', dir: '/guests', names: null },
    ],
    ['remove_participant', () => api.removeParticipant('gala', 'anna'), { event: 'gala', id: 'anna' }],
    ['set_consent', () => api.setConsent('gala', 'anna', false), { event: 'gala', id: 'anna', consent: false }],
    ['sync_settings', () => api.syncSettings(), {}],
    [
      'save_sync_settings',
      () => api.saveSyncSettings({ server_url: 'https://ev.example', event: 'gala', token: 's3cret' }),
      { input: { server_url: 'https://ev.example', event: 'gala', token: 's3cret' } },
    ],
    [
      'save_sync_settings',
      () => api.saveSyncSettings({ server_url: 'https://ev.example', event: 'gala' }),
      { input: { server_url: 'https://ev.example', event: 'gala' } },
    ],
    ['clear_sync_settings', () => api.clearSyncSettings(), {}],
    [
      'test_sync_connection',
      () => api.testSyncConnection({ server_url: 'https://ev.example', event: 'gala' }),
      { input: { server_url: 'https://ev.example', event: 'gala' } },
    ],
    ['pull_roster_now', () => api.pullRosterNow(), {}],
    ['registration', () => api.registration('gala'), { event: 'gala' }],
    [
      'set_registration',
      () => api.setRegistration('gala', { open: true, code: 'ROSE42' }),
      { event: 'gala', change: { open: true, code: 'ROSE42' } },
    ],
    ['print_registration_card', () => api.printRegistrationCard('gala', 'a4'), { event: 'gala', size: 'a4' }],
    ['ftp_status', () => api.ftpStatus(), {}],
    [
      'set_ftp_settings',
      () =>
        api.setFtpSettings({
          enabled: true,
          port: 2121,
          passive_first: 50000,
          passive_last: 50100,
          ftps: false,
          dir: null,
          event: null,
        }),
      {
        settings: { enabled: true, port: 2121, passive_first: 50000, passive_last: 50100, ftps: false, dir: null, event: null },
      },
    ],
    ['add_camera_account', () => api.addCameraAccount('nikon-z9'), { name: 'nikon-z9' }],
    ['remove_camera_account', () => api.removeCameraAccount('nikon-z9'), { name: 'nikon-z9' }],
  ])('%s is invoked with its arguments', async (cmd, call, args) => {
    const calls = recordCalls();
    await call();
    expect(calls).toEqual([{ cmd, args }]);
  });

  it('returns what the shell answered', async () => {
    recordCalls({ catalog: { photos: 3 } });
    await expect(api.stats()).resolves.toEqual({ catalog: { photos: 3 } });
  });

  it('rejects with the engine error, its kind and what to do', async () => {
    mockIPC(() => {
      throw { kind: 'not_found', message: '/nope is not a watched folder', what_to_do: null };
    });
    const err = await api.removeWatchedFolder('/nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(api.ApiError);
    expect(api.isKind(err, 'not_found')).toBe(true);
    expect(api.errorMessage(err)).toBe('/nope is not a watched folder');

    mockIPC(() => {
      throw { kind: 'paused', message: 'matching paused: no face model', what_to_do: 'run scripts/models.sh' };
    });
    const paused = await api.stats().catch((e: unknown) => e);
    expect(api.isKind(paused, 'paused')).toBe(true);
    expect(api.errorMessage(paused)).toBe('matching paused: no face model (run scripts/models.sh)');
  });

  it('reads an argument the shell refused (a plain string) as invalid', async () => {
    mockIPC(() => {
      throw "invalid args `id` for command `use_event`: the event id \"a.b\" must be 1-64 letters, digits, '-' or '_'";
    });
    const err = await api.useEvent('a.b').catch((e: unknown) => e);
    expect(api.isKind(err, 'invalid')).toBe(true);
    expect(api.errorMessage(err)).toContain('must be 1-64 letters');
  });

  it('delivers coalesced engine event batches', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const handler = vi.fn();
    const unlisten = await api.onEngineNotices(handler);
    const batch: EngineNotice[] = [
      { type: 'import_progress', done: 3, total: 10 },
      { type: 'photos_changed' },
    ];
    await emit(api.NOTICES_CHANNEL, batch);
    expect(handler).toHaveBeenCalledWith(batch);
    unlisten();
  });
});

describe('thumbUrl', () => {
  const sha = 'ab'.repeat(32);
  it('builds thumb://localhost/<sha>/<kind> with an unencoded separator', () => {
    mockConvertFileSrc('linux');
    expect(api.thumbUrl(sha, 'thumb')).toBe(`thumb://localhost/${sha}/thumb`);
    expect(api.thumbUrl(sha, 'preview')).toBe(`thumb://localhost/${sha}/preview`);
  });

  it('uses http://thumb.localhost on Windows', () => {
    mockConvertFileSrc('windows');
    expect(api.thumbUrl(sha, 'thumb')).toBe(`http://thumb.localhost/${sha}/thumb`);
  });
});

describe('selfieUrl', () => {
  it('builds thumb://localhost/selfie/<event>/<id> with unencoded separators', () => {
    mockConvertFileSrc('linux');
    expect(api.selfieUrl('gala-1', 'anna_k')).toBe('thumb://localhost/selfie/gala-1/anna_k');
    mockConvertFileSrc('windows');
    expect(api.selfieUrl('gala', 'ben')).toBe('http://thumb.localhost/selfie/gala/ben');
  });
});

describe('errorMessage', () => {
  it('reads strings, errors and anything else', () => {
    expect(api.errorMessage('boom')).toBe('boom');
    expect(api.errorMessage(new Error('bang'))).toBe('bang');
    expect(api.errorMessage(42)).toBe('42');
  });
});
