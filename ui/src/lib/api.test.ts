import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it, vi } from 'vitest';
import * as api from './api';
import type { EngineEvent } from './bindings/EngineEvent';

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
    ['list_photos', () => api.listPhotos({ after: { taken_ms: 5, id: 7 }, limit: 50, newest_first: true }), { query: { after: { taken_ms: 5, id: 7 }, limit: 50, newest_first: true } }],
    ['stats', () => api.stats(), {}],
    ['watched_folders', () => api.watchedFolders(), {}],
    ['add_watched_folder', () => api.addWatchedFolder('/mnt/card', true), { path: '/mnt/card', poll: true }],
    ['remove_watched_folder', () => api.removeWatchedFolder('/mnt/card'), { path: '/mnt/card' }],
    ['import_paths', () => api.importPaths(['/a.jpg', '/shoot']), { paths: ['/a.jpg', '/shoot'] }],
    ['import_card', () => api.importCard(['/media/EOS_DIGITAL'], '/photos', null), { sources: ['/media/EOS_DIGITAL'], destination: '/photos', backup: null }],
    ['import_card', () => api.importCard(['/a', '/b'], '/photos', '/backup'), { sources: ['/a', '/b'], destination: '/photos', backup: '/backup' }],
    ['failures', () => api.failures(), {}],
  ])('%s is invoked with its arguments', async (cmd, call, args) => {
    const calls = recordCalls();
    await call();
    expect(calls).toEqual([{ cmd, args }]);
  });

  it('returns what the shell answered', async () => {
    recordCalls({ catalog: { photos: 3 } });
    await expect(api.stats()).resolves.toEqual({ catalog: { photos: 3 } });
  });

  it('rejects with the engine message', async () => {
    mockIPC(() => {
      throw 'folder not found: /nope';
    });
    const err = await api.addWatchedFolder('/nope', false).catch((e: unknown) => e);
    expect(api.errorMessage(err)).toBe('folder not found: /nope');
  });

  it('delivers coalesced engine event batches', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const handler = vi.fn();
    const unlisten = await api.onEngineEvents(handler);
    const batch: EngineEvent[] = [
      { type: 'import_progress', done: 3, total: 10 },
      { type: 'photos_changed' },
    ];
    await emit(api.ENGINE_EVENT, batch);
    expect(handler).toHaveBeenCalledWith(batch);
    unlisten();
  });
});

describe('errorMessage', () => {
  it('reads strings, errors and anything else', () => {
    expect(api.errorMessage('boom')).toBe('boom');
    expect(api.errorMessage(new Error('bang'))).toBe('bang');
    expect(api.errorMessage(42)).toBe('42');
  });
});
