// Test data in the engine's wire format, and a recording fake of the shell's IPC.
import { mockConvertFileSrc, mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { vi } from 'vitest';
import { toApiError, type Api } from '../lib/api';
import type { ActivityDto } from '../lib/bindings/ActivityDto';
import type { EventChoiceDto } from '../lib/bindings/EventChoiceDto';
import type { EventDto } from '../lib/bindings/EventDto';
import type { EventMatcher } from '../lib/bindings/EventMatcher';
import type { CameraAccountDto } from '../lib/bindings/CameraAccountDto';
import type { FtpSettingsDto } from '../lib/bindings/FtpSettingsDto';
import type { FtpStatusDto } from '../lib/bindings/FtpStatusDto';
import type { LiveStats } from '../lib/bindings/LiveStats';
import type { ImportReport } from '../lib/bindings/ImportReport';
import type { ParticipantDto } from '../lib/bindings/ParticipantDto';
import type { ParticipantImportReport } from '../lib/bindings/ParticipantImportReport';
import type { PhotoDetailDto } from '../lib/bindings/PhotoDetailDto';
import type { PhotoDto } from '../lib/bindings/PhotoDto';
import type { PublishChoice } from '../lib/bindings/PublishChoice';
import type { QueueStats } from '../lib/bindings/QueueStats';
import type { RegistrationChangeDto } from '../lib/bindings/RegistrationChangeDto';
import type { RegistrationDto } from '../lib/bindings/RegistrationDto';
import type { Stats } from '../lib/bindings/Stats';
import type { SyncSettingsDto } from '../lib/bindings/SyncSettingsDto';
import type { TileChanges } from '../lib/bindings/TileChanges';
import type { TileDto } from '../lib/bindings/TileDto';
import type { TilePage } from '../lib/bindings/TilePage';
import type { TileQuery } from '../lib/bindings/TileQuery';
import type { WatchedFolderDto } from '../lib/bindings/WatchedFolderDto';
import type { EventsApi } from '../lib/events.svelte';
import { compareTiles, cursorOf, matchesFilter } from '../lib/tiles';

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
    rekognition: { calls: {}, throttled: 0 },
    sync: { pending: 0, pushed: 0, failed: 0 },
    events: [],
    deletions: { pending: 0, failed: 0, rekognition_faces: 0, rekognition_collections: 0, reason: null },
    ftp: { received: 0, failed: 0, connected: 0 },
    live: liveStats(),
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
    thumbnail: null,
    preview: null,
    faces: [],
    events: [],
    ...overrides,
  };
}

/** 2026-06-01 14:00 local-ish, one photo a second. */
export const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

export function tile(id: number, overrides: Partial<TileDto> = {}): TileDto {
  return {
    id,
    sha256: id.toString(16).padStart(64, '0'),
    taken_ms: T0 + id * 1000,
    imported_ms: T0 + 3_600_000 + id,
    width: 3504,
    height: 2336,
    name: `DSC_${String(id).padStart(4, '0')}.JPG`,
    status: 'ok',
    error: null,
    thumb: 'ready',
    preview_error: null,
    matching: null,
    people: [],
    push: null,
    change_seq: id,
    ...overrides,
  };
}

export function tiles(count: number, from = 1): TileDto[] {
  return Array.from({ length: count }, (_, i) => tile(from + i));
}

/** A keyset page over `all` the way the engine answers `tiles`. */
export function pageOf(all: TileDto[], query: TileQuery, seq = 0): TilePage {
  const view = { sort: query.sort, newestFirst: query.newest_first, filter: query.filter };
  const matching = all.filter((t) => matchesFilter(t, query.filter) !== false).sort((a, b) => compareTiles(a, b, view));
  const after = query.after;
  const start = after
    ? matching.findIndex((t) => compareTiles(t, tile(after.id, { taken_ms: after.key, imported_ms: after.key }), view) > 0)
    : 0;
  const limit = query.limit === 0 ? 500 : query.limit;
  const from = start < 0 ? matching.length : start;
  const slice = matching.slice(from, from + limit);
  const last = slice[slice.length - 1];
  const more = from + limit < matching.length;
  // Like the engine: the count comes with a view's first page only.
  const total = after ? null : matching.length;
  return { tiles: slice, next: more && last ? cursorOf(last, query.sort) : null, total, seq };
}

export function queueStats(overrides: Partial<QueueStats> = {}): QueueStats {
  return { total_enqueued: 0, total_processed: 0, pending: 0, running: 0, failed: 0, workers_active: 0, ...overrides };
}

export function activity(overrides: Partial<ActivityDto> = {}): ActivityDto {
  return {
    queues: [
      { kind: 'thumbnail', stats: queueStats(), workers: 2, paused: null },
      { kind: 'match', stats: queueStats(), workers: 1, paused: null },
      { kind: 'push', stats: queueStats(), workers: 1, paused: 'No event server is set up.' },
    ],
    cache: { files: 0, bytes: 0, limit_bytes: 5_000_000_000, hits: 0, misses: 0, renders: 0 },
    matcher: 'rekognition',
    sync: { pending: 0, pushed: 0, failed: 0 },
    deletions: { pending: 0, failed: 0, rekognition_faces: 0, rekognition_collections: 0, reason: null },
    live: liveStats(),
    ftp: { received: 0, failed: 0, connected: 0 },
    ...overrides,
  };
}

/** Shutter to guest with no photo acknowledged yet. */
export function liveStats(overrides: Partial<LiveStats> = {}): LiveStats {
  const none = { photos: 0, latency_p50_ms: null, latency_p95_ms: null };
  return { ftp: { ...none }, watch: { ...none }, card: { ...none }, import: { ...none }, last: null, ...overrides };
}

/** The receiver's saved settings as the engine answers them (off, the defaults). */
export function ftpSettings(overrides: Partial<FtpSettingsDto> = {}): FtpSettingsDto {
  return { enabled: false, port: 2121, passive_first: 50000, passive_last: 50100, ftps: false, dir: null, event: null, ...overrides };
}

/** A camera account that has sent nothing yet. */
export function cameraAccount(user: string, overrides: Partial<CameraAccountDto> = {}): CameraAccountDto {
  return {
    user,
    password: `pw-${user}`,
    connected: false,
    received: 0,
    failed: 0,
    last_file: null,
    last_ms: null,
    last_error: null,
    last_error_ms: null,
    ...overrides,
  };
}

/** The receiver's status as the engine answers it (off, no accounts). */
export function ftpStatus(overrides: Partial<FtpStatusDto> = {}): FtpStatusDto {
  return {
    settings: ftpSettings(),
    running: false,
    error: null,
    port: null,
    addresses: ['192.168.1.20'],
    dir: '/home/ana/Pictures/FindMe',
    event: null,
    accounts: [],
    ...overrides,
  };
}

/** The event server settings as the engine answers them (running from the app's settings). */
export function syncSettings(overrides: Partial<SyncSettingsDto> = {}): SyncSettingsDto {
  return {
    server_url: 'https://ev.example',
    event: 'gala',
    has_token: true,
    source: 'settings',
    running: true,
    keyring: 'the system keyring',
    allow_plain_http: false,
    ...overrides,
  };
}

/** A QR code as the engine draws it (any SVG does for the UI). */
export const QR_SVG =
  '<?xml version="1.0" standalone="yes"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><path d="M0 0h8v8H0V0"/></svg>';

/** An event's guest registration as the engine answers it (closed, nobody yet). */
export function registrationDto(event: string, overrides: Partial<RegistrationDto> = {}): RegistrationDto {
  return {
    event,
    open: false,
    code: null,
    intro: '',
    retention_days: 30,
    matcher: 'device',
    registered: 0,
    url: `https://ev.example/e/${event}`,
    qr_svg: QR_SVG,
    ...overrides,
  };
}

/** The engine's side of guest registration over `state` (by event id, changed in place). */
export function registrationEngine(state: Record<string, RegistrationDto>) {
  const find = (event: string) => {
    const r = state[event];
    if (!r) throw { kind: 'not_found', message: `no event server is set up for the event ${event}`, what_to_do: null };
    return r;
  };
  return {
    registration: (event: string): RegistrationDto => ({ ...find(event) }),
    setRegistration: (event: string, change: RegistrationChangeDto): RegistrationDto => {
      const r = find(event);
      if (change.open !== undefined) r.open = change.open;
      if (change.code !== undefined) r.code = change.code === '' ? null : change.code;
      if (change.intro !== undefined) r.intro = change.intro;
      if (change.retention_days !== undefined) r.retention_days = change.retention_days;
      return { ...r };
    },
    printRegistrationCard: (event: string, size: string) => {
      find(event);
      return { path: `/data/cards/${event}-${size}.html`, size, opened: true };
    },
  };
}

/** The registration commands as recording fakes over `registrationEngine(state)`. */
export function fakeRegistrationApi(state: Record<string, RegistrationDto>) {
  const engine = registrationEngine(state);
  // The engine's errors arrive as the api wrapper hands them on: ApiErrors.
  const answer = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw toApiError(err);
    }
  };
  return {
    registration: vi.fn<Api['registration']>(async (e) => answer(() => engine.registration(e))),
    setRegistration: vi.fn<Api['setRegistration']>(async (e, change) => answer(() => engine.setRegistration(e, change))),
    printRegistrationCard: vi.fn<Api['printRegistrationCard']>(async (e, size) =>
      answer(() => engine.printRegistrationCard(e, size)),
    ),
  };
}

export function detailOf(t: TileDto, overrides: Partial<PhotoDetailDto> = {}): PhotoDetailDto {
  return {
    photo: photo(t.id, { sha256: t.sha256, paths: [`/shoot/card/${t.name}`], status: t.status, error: t.error }),
    tile: t,
    faces: [],
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
    event: null,
    joined: 0,
    joined_photos: [],
    ...overrides,
  };
}

export function event(id: string, overrides: Partial<EventDto> = {}): EventDto {
  return { id, name: id, collection: `findme-${id}`, threshold: 80, local_threshold: 0.4, backend: null, active: false, closed: false, publish: 'matched', server: null, ...overrides };
}

export function participant(id: string, overrides: Partial<ParticipantDto> = {}): ParticipantDto {
  const faces = [{ left: 0.3, top: 0.2, width: 0.4, height: 0.4 }];
  return { id, name: id, consent: true, indexed: true, error: null, photos: 0, selfie: true, faces, face: 0, ...overrides };
}

/** Events and participants the way the engine keeps them (see crates/engine/src/people.rs). */
export interface EventsBackend {
  events: EventDto[];
  /** Participants by event id. */
  participants: Record<string, ParticipantDto[]>;
}

/** The engine's answers to the events commands, over `state` (changed in place). */
export function eventsEngine(state: EventsBackend) {
  const find = (id: string) => {
    const e = state.events.find((x) => x.id === id);
    if (!e) throw `no event ${id}`;
    return e;
  };
  const member = (event: string, id: string) => {
    const p = (state.participants[event] ?? []).find((x) => x.id === id);
    if (!p) throw `no participant ${id} in event ${event}`;
    return p;
  };
  return {
    events: (): EventDto[] => state.events.map((e) => ({ ...e })),
    createEvent: (id: string, name: string, threshold: number | null, backend: EventMatcher | null = null): EventDto => {
      if (!state.events.some((e) => e.id === id)) {
        const first = !state.events.some((e) => e.active);
        const local = backend === 'local';
        state.events.push(
          event(id, {
            name,
            backend,
            threshold: !local && threshold !== null ? threshold : 80,
            local_threshold: local && threshold !== null ? threshold : 0.4,
            active: first,
          }),
        );
      }
      return { ...find(id) };
    },
    addParticipant: (eventId: string, id: string | null, name: string, selfie: string): ParticipantDto => {
      find(eventId);
      if (!selfie) throw 'no selfie';
      const pid = id ?? name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      const list = (state.participants[eventId] ??= []);
      const added = participant(pid, { name, indexed: false, faces: [], face: null });
      state.participants[eventId] = [...list.filter((p) => p.id !== pid), added];
      return { ...added };
    },
    importParticipants: (eventId: string, dir: string, names: string | null): ParticipantImportReport => {
      find(eventId);
      const list = (state.participants[eventId] ??= []);
      list.push(participant('dora', { name: names ? 'Dora M' : 'dora', indexed: false }));
      return { added: 1, skipped: [{ path: `${dir}/notes.txt`, reason: 'not a photo' }] };
    },
    useEvent: (id: string): null => {
      if (find(id).closed) throw `the event ${id} is closed: create a new event`;
      for (const e of state.events) e.active = e.id === id;
      return null;
    },
    closeEvent: (id: string): EventDto => {
      find(id).closed = true;
      return { ...find(id) };
    },
    setLocalThreshold: (id: string, threshold: number): EventDto => {
      if (threshold < 0 || threshold > 1) throw `the on-device threshold is a cosine similarity from 0 to 1, not ${threshold}`;
      find(id).local_threshold = threshold;
      return { ...find(id) };
    },
    setPublishChoice: (id: string, choice: PublishChoice): EventDto => {
      find(id).publish = choice;
      return { ...find(id) };
    },
    eventParticipants: (eventId: string): ParticipantDto[] => (state.participants[eventId] ?? []).map((p) => ({ ...p })),
    removeParticipant: (eventId: string, id: string): null => {
      member(eventId, id);
      state.participants[eventId] = (state.participants[eventId] ?? []).filter((p) => p.id !== id);
      return null;
    },
    setConsent: (eventId: string, id: string, consent: boolean): ParticipantDto => {
      const p = member(eventId, id);
      p.consent = consent;
      if (!consent) p.indexed = false;
      return { ...p };
    },
    /** The engine indexes the picked face in the background: the answer is "not yet". */
    pickParticipantFace: (eventId: string, id: string, face: number): ParticipantDto => {
      const p = member(eventId, id);
      if (face < 0 || face >= p.faces.length) throw `the selfie of ${id} has no face ${face}`;
      Object.assign(p, { error: null, indexed: false, face: null });
      return { ...p };
    },
  };
}

/** The events commands as recording fakes over `eventsEngine(state)`. */
export function fakeEventsApi(state: EventsBackend, overrides: Partial<EventsApi> = {}) {
  const engine = eventsEngine(state);
  return {
    events: vi.fn<Api['events']>(async () => engine.events()),
    createEvent: vi.fn<Api['createEvent']>(async (id, name, threshold, backend) =>
      engine.createEvent(id, name, threshold, backend ?? null),
    ),
    addParticipant: vi.fn<Api['addParticipant']>(async (e, id, name, selfie) => engine.addParticipant(e, id, name, selfie)),
    importParticipants: vi.fn<Api['importParticipants']>(async (e, dir, names) => engine.importParticipants(e, dir, names)),
    useEvent: vi.fn<Api['useEvent']>(async (id) => {
      engine.useEvent(id);
    }),
    closeEvent: vi.fn<Api['closeEvent']>(async (id, _withdraw) => engine.closeEvent(id)),
    setLocalThreshold: vi.fn<Api['setLocalThreshold']>(async (id, t) => engine.setLocalThreshold(id, t)),
    setPublishChoice: vi.fn<Api['setPublishChoice']>(async (id, c) => engine.setPublishChoice(id, c)),
    assignTaken: vi.fn<Api['assignTaken']>(async () => ({ added: 0, already: 0, unknown: [] })),
    eventParticipants: vi.fn<Api['eventParticipants']>(async (e) => engine.eventParticipants(e)),
    removeParticipant: vi.fn<Api['removeParticipant']>(async (e, id) => {
      engine.removeParticipant(e, id);
    }),
    setConsent: vi.fn<Api['setConsent']>(async (e, id, consent) => engine.setConsent(e, id, consent)),
    pickParticipantFace: vi.fn<Api['pickParticipantFace']>(async (e, id, face) => engine.pickParticipantFace(e, id, face)),
    ...overrides,
  };
}

export interface Backend {
  /** Every tile in the catalog (the fake pages and filters them). */
  tiles: TileDto[];
  /** Answers of `tile_changes`, taken in order (then: nothing changed). */
  changes: TileChanges[];
  seq: number;
  activity: ActivityDto;
  folders: WatchedFolderDto[];
  stats: Stats;
  /** A promise holds the import until a test resolves it. */
  importReport: ImportReport | Promise<ImportReport>;
  /** Every command the UI sent, in order (event-plugin traffic left out). */
  calls: { cmd: string; args: Record<string, unknown> }[];
  /** Picked by the mocked native folder dialog. */
  picked: string[] | string | null;
  /** The events and their participants (the events panel's commands). */
  matching: EventsBackend;
  /** What `sync_settings` answers. */
  sync: SyncSettingsDto;
  /** Guest registration per event (an event without one has no server set up). */
  registrations: Record<string, RegistrationDto>;
  /** What `ftp_status` answers. */
  ftp: FtpStatusDto;
}

/** Installs a fake shell: commands answer from `backend`, events are mocked. */
export function fakeShell(initial: Partial<Backend> = {}): Backend {
  const backend: Backend = {
    tiles: [],
    changes: [],
    seq: 1,
    activity: activity(),
    folders: [],
    stats: stats(0),
    importReport: report(),
    calls: [],
    picked: null,
    matching: { events: [], participants: {} },
    sync: syncSettings({ server_url: null, event: null, has_token: false, source: 'none', running: false }),
    registrations: {},
    ftp: ftpStatus(),
    ...initial,
  };
  const engine = eventsEngine(backend.matching);
  const guests = registrationEngine(backend.registrations);
  mockWindows('main');
  mockConvertFileSrc('linux');
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      backend.calls.push({ cmd, args });
      switch (cmd) {
        case 'stats':
          return backend.stats;
        case 'tiles':
          return pageOf(backend.tiles, args.query as TileQuery, backend.seq);
        case 'tile_changes':
          return backend.changes.shift() ?? { changed: [], removed: [], seq: backend.seq, more: false };
        case 'photo_detail': {
          const t = backend.tiles.find((x) => x.id === args.id);
          if (!t) throw new Error(`no photo ${String(args.id)}`);
          return detailOf(t);
        }
        case 'activity':
          return backend.activity;
        case 'failures':
          return [];
        case 'participants': {
          const active = backend.matching.events.find((e) => e.active);
          return active ? engine.eventParticipants(active.id) : [];
        }
        case 'watched_folders':
          return backend.folders;
        case 'add_watched_folder': {
          const choice = (args.event ?? { kind: 'active' }) as EventChoiceDto;
          const active = backend.matching.events.find((e) => e.active && !e.closed)?.id ?? null;
          const joins = choice.kind === 'event' ? choice.id : choice.kind === 'active' ? active : null;
          const folder = { path: String(args.path), poll: Boolean(args.poll), online: true, event: joins };
          backend.folders = [...backend.folders, folder];
          return folder;
        }
        case 'remove_watched_folder':
          backend.folders = backend.folders.filter((f) => f.path !== args.path);
          return null;
        case 'assign_photos':
          return { added: (args.photos as string[]).length, already: 0, unknown: [] };
        case 'unassign_photos':
          return { removed: (args.photos as string[]).length, unknown: [] };
        case 'set_published':
          return (args.photos as string[]).length;
        case 'import_paths':
        case 'import_card':
          return backend.importReport;
        case 'events':
          return engine.events();
        case 'create_event':
          return engine.createEvent(
            String(args.id),
            String(args.name),
            args.threshold as number | null,
            (args.backend ?? null) as EventMatcher | null,
          );
        case 'add_participant':
          return engine.addParticipant(
            String(args.event),
            (args.id ?? null) as string | null,
            String(args.name),
            String(args.selfie),
          );
        case 'import_participants':
          return engine.importParticipants(String(args.event), String(args.dir), (args.names ?? null) as string | null);
        case 'use_event':
          return engine.useEvent(String(args.id));
        case 'close_event':
          return engine.closeEvent(String(args.id));
        case 'set_local_threshold':
          return engine.setLocalThreshold(String(args.id), Number(args.threshold));
        case 'set_publish_choice':
          return engine.setPublishChoice(String(args.id), args.choice as PublishChoice);
        case 'event_participants':
          return engine.eventParticipants(String(args.event));
        case 'remove_participant':
          return engine.removeParticipant(String(args.event), String(args.id));
        case 'set_consent':
          return engine.setConsent(String(args.event), String(args.id), Boolean(args.consent));
        case 'sync_settings':
          return backend.sync;
        case 'registration':
          return guests.registration(String(args.event));
        case 'set_registration':
          return guests.setRegistration(String(args.event), args.change as RegistrationChangeDto);
        case 'print_registration_card':
          return guests.printRegistrationCard(String(args.event), String(args.size));
        case 'ftp_status':
          return backend.ftp;
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
