import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { activity, cameraAccount, ftpStatus, pageOf, report, stats, tiles } from '../tests/fixtures';
import { ApiError, type Api } from './api';
import type { EngineNotice } from './bindings/EngineNotice';
import { FIRST_PAGE } from './gallery.svelte';
import { Studio } from './studio.svelte';

function fakeApi(overrides: Partial<Api> = {}) {
  const api = {
    tiles: vi.fn<Api['tiles']>(async (query) => pageOf(tiles(1), query, 1)),
    tileChanges: vi.fn<Api['tileChanges']>(async () => ({ changed: [], removed: [], seq: 1, more: false })),
    photoDetail: vi.fn<Api['photoDetail']>(async () => {
      throw new Error('not in these tests');
    }),
    activity: vi.fn<Api['activity']>(async () => activity()),
    stats: vi.fn<Api['stats']>(async () => stats(1)),
    watchedFolders: vi.fn<Api['watchedFolders']>(async () => []),
    addWatchedFolder: vi.fn<Api['addWatchedFolder']>(async (path, poll) => ({ path, poll, online: true, event: null })),
    removeWatchedFolder: vi.fn<Api['removeWatchedFolder']>(async () => {}),
    importPaths: vi.fn<Api['importPaths']>(async () => report()),
    importCard: vi.fn<Api['importCard']>(async () => report()),
    failures: vi.fn<Api['failures']>(async () => []),
    participants: vi.fn<Api['participants']>(async () => []),
    events: vi.fn<Api['events']>(async () => []),
    createEvent: vi.fn<Api['createEvent']>(async () => {
      throw new Error('not in these tests');
    }),
    useEvent: vi.fn<Api['useEvent']>(async () => {}),
    closeEvent: vi.fn<Api['closeEvent']>(async () => {
      throw new Error('not in these tests');
    }),
    setLocalThreshold: vi.fn<Api['setLocalThreshold']>(async () => {
      throw new Error('not in these tests');
    }),
    setPublishChoice: vi.fn<Api['setPublishChoice']>(async () => {
      throw new Error('not in these tests');
    }),
    eventParticipants: vi.fn<Api['eventParticipants']>(async () => []),
    assignPhotos: vi.fn<Api['assignPhotos']>(async (_e, photos) => ({ added: photos.length, already: 0, unknown: [] })),
    assignTaken: vi.fn<Api['assignTaken']>(async () => ({ added: 0, already: 0, unknown: [] })),
    unassignPhotos: vi.fn<Api['unassignPhotos']>(async (_e, photos) => ({ removed: photos.length, unknown: [] })),
    setPublished: vi.fn<Api['setPublished']>(async (_e, photos) => photos.length),
    addParticipant: vi.fn<Api['addParticipant']>(async () => {
      throw new Error('not in these tests');
    }),
    importParticipants: vi.fn<Api['importParticipants']>(async () => {
      throw new Error('not in these tests');
    }),
    removeParticipant: vi.fn<Api['removeParticipant']>(async () => {}),
    setConsent: vi.fn<Api['setConsent']>(async () => {
      throw new Error('not in these tests');
    }),
    pickParticipantFace: vi.fn<Api['pickParticipantFace']>(async () => {
      throw new Error('not in these tests');
    }),
    syncSettings: vi.fn<Api['syncSettings']>(async () => {
      throw new Error('not in these tests');
    }),
    saveSyncSettings: vi.fn<Api['saveSyncSettings']>(async () => {
      throw new Error('not in these tests');
    }),
    clearSyncSettings: vi.fn<Api['clearSyncSettings']>(async () => {
      throw new Error('not in these tests');
    }),
    testSyncConnection: vi.fn<Api['testSyncConnection']>(async () => {
      throw new Error('not in these tests');
    }),
    pullRosterNow: vi.fn<Api['pullRosterNow']>(async () => false),
    registration: vi.fn<Api['registration']>(async () => {
      throw new Error('not in these tests');
    }),
    setRegistration: vi.fn<Api['setRegistration']>(async () => {
      throw new Error('not in these tests');
    }),
    printRegistrationCard: vi.fn<Api['printRegistrationCard']>(async () => {
      throw new Error('not in these tests');
    }),
    ftpStatus: vi.fn<Api['ftpStatus']>(async () => ftpStatus()),
    setFtpSettings: vi.fn<Api['setFtpSettings']>(async () => {
      throw new Error('not in these tests');
    }),
    addCameraAccount: vi.fn<Api['addCameraAccount']>(async () => {
      throw new Error('not in these tests');
    }),
    removeCameraAccount: vi.fn<Api['removeCameraAccount']>(async () => {
      throw new Error('not in these tests');
    }),
    onEngineNotices: vi.fn<Api['onEngineNotices']>(async () => () => {}),
    ...overrides,
  };
  return api;
}

const PHOTOS_CHANGED: EngineNotice = { type: 'photos_changed' };
const FOLDERS_CHANGED: EngineNotice = { type: 'folders_changed' };
const QUEUE_CHANGED: EngineNotice = { type: 'queue_changed' };

describe('Studio', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('listens before the first load, then loads stats, tiles, failures and folders', async () => {
    const order: string[] = [];
    const api = fakeApi({
      onEngineNotices: vi.fn(async () => {
        order.push('listen');
        return () => {};
      }),
      stats: vi.fn(async () => {
        order.push('stats');
        return stats(1);
      }),
    });
    const studio = new Studio(api);
    expect(studio.loaded).toBe(false);
    await studio.start();
    expect(order).toEqual(['listen', 'stats']);
    expect(api.tiles).toHaveBeenCalledWith({
      after: null,
      limit: FIRST_PAGE,
      sort: 'captured',
      newest_first: true,
      filter: { kind: 'all' },
    });
    expect(api.failures).toHaveBeenCalledTimes(1);
    expect(api.watchedFolders).toHaveBeenCalledTimes(1);
    expect(api.activity).toHaveBeenCalledTimes(1);
    expect(studio.loaded).toBe(true);
    await vi.waitFor(() => expect(studio.gallery.store.length).toBe(1));
    expect(studio.stats?.catalog.photos).toBe(1);
  });

  it('loads the active event\'s participants for the participant filter, again when matches change', async () => {
    const anna = { id: 'anna', name: 'Anna K', consent: true, indexed: true, error: null, photos: 3, selfie: true, faces: [], face: null };
    const api = fakeApi({ participants: vi.fn<Api['participants']>(async () => [anna]) });
    const studio = new Studio(api, 50);
    const stop = await studio.start();
    expect(studio.participants).toEqual([anna]);
    studio.handleEngineNotices([PHOTOS_CHANGED]);
    await studio.flushRefresh();
    expect(api.participants).toHaveBeenCalledTimes(2);
    stop();
  });

  it('reads the cameras at start and again (with the activity) when a camera changed', async () => {
    let status = ftpStatus();
    const api = fakeApi({ ftpStatus: vi.fn<Api['ftpStatus']>(async () => status) });
    const studio = new Studio(api, 50);
    const stop = await studio.start();
    await vi.waitFor(() => expect(studio.cameras.status).toEqual(ftpStatus()));
    expect(api.activity).toHaveBeenCalledTimes(1);

    status = ftpStatus({ running: true, port: 2121, accounts: [cameraAccount('z9', { connected: true, received: 4 })] });
    studio.handleEngineNotices([{ type: 'cameras_changed' }, { type: 'cameras_changed' }]);
    await studio.cameras.flush();
    expect(api.ftpStatus).toHaveBeenCalledTimes(2);
    expect(studio.cameras.accounts.map((a) => [a.user, a.connected, a.received])).toEqual([['z9', true, 4]]);
    // The FTP totals and shutter to guest are in the activity.
    await vi.waitFor(() => expect(api.activity).toHaveBeenCalledTimes(2));

    // Nothing about cameras: no re-read.
    studio.handleEngineNotices([PHOTOS_CHANGED]);
    await studio.cameras.flush();
    expect(api.ftpStatus).toHaveBeenCalledTimes(2);
    stop();
  });

  it('re-reads the participant filter at once when the events panel changed something', async () => {
    const anna = { id: 'anna', name: 'Anna K', consent: true, indexed: true, error: null, photos: 3, selfie: true, faces: [], face: null };
    const carl = { id: 'carl', name: 'Carl', consent: true, indexed: true, error: null, photos: 0, selfie: true, faces: [], face: null };
    const answers = [[anna], [carl]];
    const api = fakeApi({ participants: vi.fn<Api['participants']>(async () => answers.shift() ?? []) });
    const studio = new Studio(api, 60_000);
    const stop = await studio.start();
    await studio.gallery.setView({ filter: { kind: 'participant', id: 'anna' } });
    vi.clearAllMocks();
    await studio.eventsChanged(); // no timer: the photographer waits on it
    expect(api.participants).toHaveBeenCalledTimes(1);
    expect(studio.participants).toEqual([carl]);
    expect(api.tileChanges).toHaveBeenCalledTimes(1);
    // Anna is not in the (new) active event: the filter goes back to everyone.
    expect(studio.gallery.view.filter).toEqual({ kind: 'all' });
    expect(api.tiles).toHaveBeenCalledWith(expect.objectContaining({ filter: { kind: 'all' } }));
    stop();
  });

  it('keeps a participant filter whose participant is still there', async () => {
    const anna = { id: 'anna', name: 'Anna K', consent: true, indexed: true, error: null, photos: 3, selfie: true, faces: [], face: null };
    const api = fakeApi({ participants: vi.fn<Api['participants']>(async () => [anna]) });
    const studio = new Studio(api, 60_000);
    const stop = await studio.start();
    await studio.gallery.setView({ filter: { kind: 'participant', id: 'anna' } });
    await studio.eventsChanged();
    expect(studio.gallery.view.filter).toEqual({ kind: 'participant', id: 'anna' });
    stop();
  });

  it('is empty only with no photos and no watched folders', async () => {
    const none = vi.fn<Api['tiles']>(async (query) => pageOf([], query, 1));
    const empty = new Studio(fakeApi({ stats: vi.fn(async () => stats(0)), tiles: none }));
    expect(empty.isEmpty).toBe(false); // not loaded yet: no flash of the empty state
    await empty.start();
    expect(empty.isEmpty).toBe(true);

    const watching = new Studio(
      fakeApi({
        stats: vi.fn(async () => stats(0)),
        tiles: none,
        watchedFolders: vi.fn(async () => [{ path: '/card', poll: false, online: true, event: null }]),
      }),
    );
    await watching.start();
    expect(watching.isEmpty).toBe(false);
  });

  it('turns a burst of engine events into one re-fetch', async () => {
    const api = fakeApi();
    const studio = new Studio(api, 300);
    await studio.start();
    await vi.advanceTimersByTimeAsync(0);
    vi.clearAllMocks();

    for (let i = 0; i < 500; i++) studio.handleEngineNotices([PHOTOS_CHANGED, QUEUE_CHANGED]);
    expect(api.stats).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(300);
    expect(api.stats).toHaveBeenCalledTimes(1);
    expect(api.tileChanges).toHaveBeenCalledTimes(1);
    expect(api.tileChanges).toHaveBeenCalledWith(1);
    expect(api.failures).toHaveBeenCalledTimes(1);
    expect(api.activity).toHaveBeenCalledTimes(1);
    expect(api.tiles).not.toHaveBeenCalled(); // no reload: the change feed is merged
    expect(api.watchedFolders).not.toHaveBeenCalled();
  });

  it('re-reads folders on FoldersChanged only', async () => {
    const api = fakeApi();
    const studio = new Studio(api, 300);
    await studio.start();
    vi.clearAllMocks();
    studio.handleEngineNotices([FOLDERS_CHANGED]);
    await vi.advanceTimersByTimeAsync(300);
    expect(api.watchedFolders).toHaveBeenCalledTimes(1);
    expect(api.stats).not.toHaveBeenCalled();
  });

  it('shows import progress until the import is done', async () => {
    const studio = new Studio(fakeApi());
    studio.handleEngineNotices([{ type: 'import_progress', done: 3, total: 10 }]);
    expect(studio.activity.importing).toMatchObject({ done: 3, total: 10 });
    expect(studio.activity.progress.map((p) => p.key)).toEqual(['import']);
    studio.handleEngineNotices([{ type: 'import_progress', done: 10, total: 10 }]);
    expect(studio.activity.importing).toBeNull();
    expect(studio.activity.progress).toEqual([]);
  });

  it('ignores a stats answer that was overtaken by a newer one', async () => {
    let answer!: (value: ReturnType<typeof stats>) => void;
    const slow = new Promise<ReturnType<typeof stats>>((resolve) => (answer = resolve));
    const statsFn = vi
      .fn<Api['stats']>()
      .mockImplementationOnce(() => slow)
      .mockImplementation(async () => stats(2));
    const studio = new Studio(fakeApi({ stats: statsFn }), 300);
    const starting = studio.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(statsFn).toHaveBeenCalledTimes(1); // the first load hangs on the slow answer
    studio.handleEngineNotices([PHOTOS_CHANGED]);
    await studio.flushRefresh();
    expect(studio.stats?.catalog.photos).toBe(2);
    answer(stats(0));
    await starting;
    expect(studio.stats?.catalog.photos).toBe(2);
  });

  it('adds a trimmed folder path and refuses an empty one', async () => {
    const api = fakeApi();
    const studio = new Studio(api);
    expect(await studio.addFolder('   ', false)).toBe(false);
    expect(api.addWatchedFolder).not.toHaveBeenCalled();
    expect(studio.toasts.at(-1)?.kind).toBe('error');

    expect(await studio.addFolder('  /media/card/DCIM ', true)).toBe(true);
    expect(api.addWatchedFolder).toHaveBeenCalledWith('/media/card/DCIM', true, { kind: 'active' });
    await studio.flushRefresh();
    expect(api.watchedFolders).toHaveBeenCalled();
  });

  it('tells the photographer when a folder cannot be watched', async () => {
    const api = fakeApi({
      addWatchedFolder: vi.fn(async () => {
        throw 'no such folder';
      }),
    });
    const studio = new Studio(api);
    expect(await studio.addFolder('/nope', false)).toBe(false);
    expect(studio.toasts.at(-1)).toMatchObject({ kind: 'error', text: 'Could not watch /nope: no such folder' });
  });

  it('drops a folder that was no longer watched instead of failing', async () => {
    const api = fakeApi({
      removeWatchedFolder: vi.fn(async () => {
        throw new ApiError('not_found', '/media/card is not a watched folder');
      }),
    });
    const studio = new Studio(api);
    studio.folders = [{ path: '/media/card', poll: false, online: true, event: null }];
    await studio.removeFolder('/media/card');
    expect(studio.folders).toEqual([]);
    expect(studio.toasts.at(-1)).toMatchObject({ kind: 'info', text: '/media/card was not watched any more' });
  });

  it('says why a folder could not be unwatched otherwise', async () => {
    const api = fakeApi({
      removeWatchedFolder: vi.fn(async () => {
        throw new ApiError('catalog', 'database is locked');
      }),
    });
    const studio = new Studio(api);
    studio.folders = [{ path: '/media/card', poll: false, online: true, event: null }];
    await studio.removeFolder('/media/card');
    expect(studio.folders).toHaveLength(1);
    expect(studio.toasts.at(-1)).toMatchObject({ kind: 'error', text: 'Could not stop watching /media/card: database is locked' });
  });

  it('imports dropped paths and reports the summary', async () => {
    const api = fakeApi({
      importPaths: vi.fn(async () => report({ scanned: 16, imported: 12, duplicates: 3, failed: 1 })),
    });
    const studio = new Studio(api);
    await studio.importDropped(['/Users/me/shoot', '/Users/me/a.jpg']);
    expect(api.importPaths).toHaveBeenCalledWith(['/Users/me/shoot', '/Users/me/a.jpg']);
    expect(studio.toasts.map((t) => t.text)).toContain('12 imported, 3 duplicates, 1 failed');
    expect(studio.busy).toBe(false);
  });

  it('keeps the card report for the dialog', async () => {
    const card = report({
      imported: 2,
      card: {
        destination: '/photos',
        backup: null,
        copied: 2,
        already_present: 0,
        not_copied: [],
        safe_to_format: true,
        verdict: 'Safe to format: all 2 photos are copied and verified in the library.',
      },
    });
    const api = fakeApi({ importCard: vi.fn(async () => card) });
    const studio = new Studio(api);
    await studio.importCard(['/media/EOS_DIGITAL'], '/photos', null);
    expect(api.importCard).toHaveBeenCalledWith(['/media/EOS_DIGITAL'], '/photos', null, { kind: 'active' });
    expect(studio.cardReport).toEqual(card);
    studio.dismissCardReport();
    expect(studio.cardReport).toBeNull();
  });

  it('dismisses toasts by themselves', async () => {
    const studio = new Studio(fakeApi());
    studio.notify('info', 'hello');
    expect(studio.toasts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(studio.toasts).toHaveLength(0);
  });
});
