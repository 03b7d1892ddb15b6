// Test data in the engine's wire format, and a recording fake of the shell's IPC.
import { mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import type { ImportReport } from '../lib/bindings/ImportReport';
import type { PhotoDto } from '../lib/bindings/PhotoDto';
import type { Stats } from '../lib/bindings/Stats';
import type { WatchedFolderDto } from '../lib/bindings/WatchedFolderDto';

export function stats(photos: number, failed = 0, pending = 0): Stats {
  return {
    catalog: { photos, locations: photos, failed },
    queue: {
      total_enqueued: 0,
      total_processed: 0,
      pending,
      running: 0,
      failed: 0,
      workers_active: 0,
    },
  };
}

export function photo(id: number, overrides: Partial<PhotoDto> = {}): PhotoDto {
  return {
    id,
    sha256: id.toString(16).padStart(64, '0'),
    paths: [`/shoot/card/DSC_${String(id).padStart(4, '0')}.JPG`],
    captured_at: '2026-06-01T14:03:22+02:00',
    camera: 'Canon EOS 30D',
    camera_serial: null,
    lens: null,
    width: 3504,
    height: 2336,
    orientation: 1,
    format: 'jpeg',
    size: 4_200_000,
    status: 'ok',
    error: null,
    group: null,
    imported_at: '2026-06-01T13:00:00Z',
    ...overrides,
  };
}

export function report(overrides: Partial<ImportReport> = {}): ImportReport {
  return {
    scanned: 0,
    imported: 0,
    duplicates: 0,
    unchanged: 0,
    failed: 0,
    failures: [],
    skipped: 0,
    ...overrides,
  };
}

export interface Backend {
  photos: PhotoDto[];
  folders: WatchedFolderDto[];
  stats: Stats;
  importReport: ImportReport;
  /** Every command the UI sent, in order (event-plugin traffic left out). */
  calls: { cmd: string; args: Record<string, unknown> }[];
  /** Picked by the mocked native folder dialog. */
  picked: string[] | string | null;
}

/** Installs a fake shell: commands answer from `backend`, events are mocked. */
export function fakeShell(initial: Partial<Backend> = {}): Backend {
  const backend: Backend = {
    photos: [],
    folders: [],
    stats: stats(0),
    importReport: report(),
    calls: [],
    picked: null,
    ...initial,
  };
  mockWindows('main');
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      backend.calls.push({ cmd, args });
      switch (cmd) {
        case 'stats':
          return backend.stats;
        case 'list_photos':
          return { photos: backend.photos, next: null };
        case 'failures':
          return [];
        case 'watched_folders':
          return backend.folders;
        case 'add_watched_folder': {
          const folder = { path: String(args.path), poll: Boolean(args.poll), online: true };
          backend.folders = [...backend.folders, folder];
          return folder;
        }
        case 'remove_watched_folder':
          backend.folders = backend.folders.filter((f) => f.path !== args.path);
          return null;
        case 'import_paths':
        case 'import_card':
          return backend.importReport;
        case 'plugin:dialog|open':
          return backend.picked;
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    },
    { shouldMockEvents: true },
  );
  return backend;
}

export function commands(backend: Backend, cmd: string) {
  return backend.calls.filter((c) => c.cmd === cmd);
}
