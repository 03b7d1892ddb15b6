// Typed wrappers around the shell's Tauri commands (src-tauri/src/commands.rs,
// listed once in src-tauri/src/command_list.rs; a Rust test checks this file calls
// exactly those). Wire types are generated from the engine's by ts-rs (./bindings).
import { convertFileSrc, invoke as ipc, type InvokeArgs } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { ActivityDto } from './bindings/ActivityDto';
import type { AssignmentDto } from './bindings/AssignmentDto';
import type { EngineNotice } from './bindings/EngineNotice';
import type { ErrorDto } from './bindings/ErrorDto';
import type { ErrorKind } from './bindings/ErrorKind';
import type { EventChoiceDto } from './bindings/EventChoiceDto';
import type { EventDto } from './bindings/EventDto';
import type { EventMatcher } from './bindings/EventMatcher';
import type { FailureDto } from './bindings/FailureDto';
import type { FtpSettingsDto } from './bindings/FtpSettingsDto';
import type { FtpStatusDto } from './bindings/FtpStatusDto';
import type { NewCameraAccount } from './bindings/NewCameraAccount';
import type { ImportReport } from './bindings/ImportReport';
import type { ParticipantDto } from './bindings/ParticipantDto';
import type { ParticipantImportReport } from './bindings/ParticipantImportReport';
import type { PhotoDetailDto } from './bindings/PhotoDetailDto';
import type { PublishChoice } from './bindings/PublishChoice';
import type { RegistrationChangeDto } from './bindings/RegistrationChangeDto';
import type { RegistrationDto } from './bindings/RegistrationDto';
import type { CardFileDto } from './bindings/CardFileDto';
import type { RenditionKind } from './bindings/RenditionKind';
import type { ConnectionTestDto } from './bindings/ConnectionTestDto';
import type { Stats } from './bindings/Stats';
import type { SyncSettingsDto } from './bindings/SyncSettingsDto';
import type { SyncSettingsInput } from './bindings/SyncSettingsInput';
import type { TileChanges } from './bindings/TileChanges';
import type { TilePage } from './bindings/TilePage';
import type { TileQuery } from './bindings/TileQuery';
import type { UnassignmentDto } from './bindings/UnassignmentDto';
import type { WatchedFolderDto } from './bindings/WatchedFolderDto';

/** Name of the Tauri event carrying the engine's coalesced notices (src-tauri/src/notices.rs). */
export const NOTICES_CHANNEL = 'notices';

/**
 * A failed command: the engine's error kind (what the UI can do about it), its
 * message for the photographer and, for `paused`, what to do.
 */
export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly whatToDo: string | null;

  constructor(kind: ErrorKind, message: string, whatToDo: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.whatToDo = whatToDo;
  }
}

function isErrorDto(err: unknown): err is ErrorDto {
  return typeof err === 'object' && err !== null && 'kind' in err && 'message' in err;
}

/**
 * The shell rejects with an `ErrorDto`; any other rejection comes from the IPC
 * layer itself, and the one a photographer can cause is an argument the shell
 * could not read (an id that breaks the id rule): `invalid`.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isErrorDto(err)) return new ApiError(err.kind, err.message, err.what_to_do);
  return new ApiError('invalid', typeof err === 'string' ? err : err instanceof Error ? err.message : String(err));
}

/** Calls a shell command; a failure rejects with an [`ApiError`]. */
async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await ipc<T>(command, args);
  } catch (err) {
    throw toApiError(err);
  }
}

/** True when `err` is an engine error of `kind`. */
export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof ApiError && err.kind === kind;
}

/** A keyset page of gallery tiles. */
export function tiles(query: TileQuery): Promise<TilePage> {
  return call<TilePage>('tiles', { query });
}

/** Tiles changed and photos removed since change `since` (loop while `more`). */
export function tileChanges(since: number): Promise<TileChanges> {
  return call<TileChanges>('tile_changes', { since });
}

export function photoDetail(id: number): Promise<PhotoDetailDto> {
  return call<PhotoDetailDto>('photo_detail', { id });
}

/** Job queues and the thumbnail cache. */
export function activity(): Promise<ActivityDto> {
  return call<ActivityDto>('activity');
}

export type { RenditionKind };

/**
 * URL of a photo's cached thumbnail or preview on the shell's `thumb` scheme:
 * `thumb://localhost/<sha256>/<kind>` (Windows: `http://thumb.localhost/...`).
 * The kind is appended after `convertFileSrc`, which would percent-encode the `/`
 * (the scheme refuses encoded separators); a sha256 has nothing to encode.
 */
export function thumbUrl(sha256: string, kind: RenditionKind): string {
  return `${convertFileSrc(sha256, 'thumb')}/${kind}`;
}

/**
 * A small JPEG of a participant's selfie: `thumb://localhost/selfie/<event>/<id>`.
 * Ids are `[A-Za-z0-9_-]`, so nothing needs encoding after `convertFileSrc`.
 */
export function selfieUrl(event: string, id: string): string {
  return `${convertFileSrc('selfie', 'thumb')}/${event}/${id}`;
}

export function stats(): Promise<Stats> {
  return call<Stats>('stats');
}

export function watchedFolders(): Promise<WatchedFolderDto[]> {
  return call<WatchedFolderDto[]>('watched_folders');
}

/** The photos brought in join the active event unless the photographer chose otherwise. */
export const ACTIVE_EVENT: EventChoiceDto = { kind: 'active' };

/** Watches a folder; its photos (those there now and every later one) join `event`. */
export function addWatchedFolder(
  path: string,
  poll: boolean,
  event: EventChoiceDto = ACTIVE_EVENT,
): Promise<WatchedFolderDto> {
  return call<WatchedFolderDto>('add_watched_folder', { path, poll, event });
}

export async function removeWatchedFolder(path: string): Promise<void> {
  await call<null>('remove_watched_folder', { path });
}

/** Imports dropped files and folders in place (recursively); the photos join `event`. */
export function importPaths(paths: string[], event: EventChoiceDto = ACTIVE_EVENT): Promise<ImportReport> {
  return call<ImportReport>('import_paths', { paths, event });
}

/** Copies a card into the library (and the backup), verifies, and reports. */
export function importCard(
  sources: string[],
  destination: string,
  backup: string | null,
  event: EventChoiceDto = ACTIVE_EVENT,
): Promise<ImportReport> {
  return call<ImportReport>('import_card', { sources, destination, backup, event });
}

export function failures(): Promise<FailureDto[]> {
  return call<FailureDto[]>('failures');
}

/** Calls `handler` with each coalesced batch of engine events. */
export function onEngineNotices(handler: (batch: EngineNotice[]) => void): Promise<UnlistenFn> {
  return listen<EngineNotice[]>(NOTICES_CHANNEL, (event) => handler(event.payload));
}

/** The active event's participants (empty until matching is set up). */
export function participants(): Promise<ParticipantDto[]> {
  return call<ParticipantDto[]>('participants');
}

/** Every event (the active one has `active`), for the events panel. */
export function events(): Promise<EventDto[]> {
  return call<EventDto[]>('events');
}

/**
 * Creates an event matched by `backend` (null: the first matcher that indexes a
 * face), with `threshold` in that matcher's scale (on this computer 0-1, AWS 0-100;
 * null: the default). An existing id is answered with the existing event. The first
 * event created becomes the active one.
 */
export function createEvent(
  id: string,
  name: string,
  threshold: number | null,
  backend: EventMatcher | null = null,
): Promise<EventDto> {
  return call<EventDto>('create_event', { id, name, threshold, backend });
}

/** Makes `id` the active event: photos are matched against it. */
export async function useEvent(id: string): Promise<void> {
  await call<null>('use_event', { id });
}

/**
 * Closes an event for good: its face data and selfies are deleted. With `withdraw`
 * its photos also leave its event server (by default they stay for the guests).
 */
export function closeEvent(id: string, withdraw = false): Promise<EventDto> {
  return call<EventDto>('close_event', { id, withdraw });
}

/**
 * Sets the on-device matcher's threshold (cosine similarity 0-1) of an event; an
 * event matched on this computer is re-matched from stored face signatures.
 */
export function setLocalThreshold(id: string, threshold: number): Promise<EventDto> {
  return call<EventDto>('set_local_threshold', { id, threshold });
}

/** Which photos of an event its server shows: only matched ones, or all. */
export function setPublishChoice(id: string, choice: PublishChoice): Promise<EventDto> {
  return call<EventDto>('set_publish_choice', { id, choice });
}

/** One event's participants (removed ones left out). */
export function eventParticipants(event: string): Promise<ParticipantDto[]> {
  return call<ParticipantDto[]>('event_participants', { event });
}

/** Adds photos (by SHA-256) to an event: they are matched against it next. */
export function assignPhotos(event: string, photos: string[]): Promise<AssignmentDto> {
  return call<AssignmentDto>('assign_photos', { event, photos });
}

/** Removes photos from an event: its faces, matches and server copies of them go. */
/** Adds the photos taken from `from` to `to` (Unix ms, inclusive) to an event. */
export function assignTaken(event: string, from: number, to: number): Promise<AssignmentDto> {
  return call<AssignmentDto>('assign_taken', { event, from, to });
}

export function unassignPhotos(event: string, photos: string[]): Promise<UnassignmentDto> {
  return call<UnassignmentDto>('unassign_photos', { event, photos });
}

/**
 * Unpublishes photos from an event's server (`published` false: withdrawn, never
 * pushed there again) or publishes them again; resolves to how many changed.
 */
export function setPublished(event: string, photos: string[], published: boolean): Promise<number> {
  return call<number>('set_published', { event, photos, published });
}

/**
 * Adds a participant with consent and a selfie file (copied into the data folder);
 * `id` null: one is made from the name.
 */
export function addParticipant(event: string, id: string | null, name: string, selfie: string): Promise<ParticipantDto> {
  return call<ParticipantDto>('add_participant', { event, id, name, selfie });
}

/** Adds every photo of `dir` as a selfie (file stem = id; `names`: a CSV of `id,name`). */
export function importParticipants(event: string, dir: string, names: string | null): Promise<ParticipantImportReport> {
  return call<ParticipantImportReport>('import_participants', { event, dir, names });
}

/** Removes a participant: their matches, face and selfie go. */
export async function removeParticipant(event: string, id: string): Promise<void> {
  await call<null>('remove_participant', { event, id });
}

/** Gives or withdraws a participant's consent (withdrawn: their matches go). */
export function setConsent(event: string, id: string, consent: boolean): Promise<ParticipantDto> {
  return call<ParticipantDto>('set_consent', { event, id, consent });
}

/**
 * Uses face `face` (an index into the participant's `faces`) of a selfie that
 * shows several: that face alone is indexed, in the background.
 */
export function pickParticipantFace(event: string, id: string, face: number): Promise<ParticipantDto> {
  return call<ParticipantDto>('pick_participant_face', { event, id, face });
}

/**
 * What the event server settings send. `token` is left out to keep the stored one
 * (the engine reads a missing token as "keep"), so an empty password field never
 * overwrites it and a token is only ever sent when the photographer typed one.
 */
export type SyncInput = Omit<SyncSettingsInput, 'token'> & { token?: string };

/** The event server set up for sync (never the token: only `has_token`). */
export function syncSettings(): Promise<SyncSettingsDto> {
  return call<SyncSettingsDto>('sync_settings');
}

/** Saves server, event and (if given) token; the background sync uses them at once. */
export function saveSyncSettings(input: SyncInput): Promise<SyncSettingsDto> {
  return call<SyncSettingsDto>('save_sync_settings', { input });
}

/** Stops syncing and forgets the saved server, event and token. */
export function clearSyncSettings(): Promise<SyncSettingsDto> {
  return call<SyncSettingsDto>('clear_sync_settings');
}

/** Asks the server for the event with these settings (the stored token without one). */
export function testSyncConnection(input: SyncInput): Promise<ConnectionTestDto> {
  return call<ConnectionTestDto>('test_sync_connection', { input });
}

/** Pulls the guest list now; false when no sync runs. */
export function pullRosterNow(): Promise<boolean> {
  return call<boolean>('pull_roster_now');
}

/** The event's guest registration on its event server: link, QR code, count. */
export function registration(event: string): Promise<RegistrationDto> {
  return call<RegistrationDto>('registration', { event });
}

/** Opens or closes the guest registration, sets its code and short text (absent fields stay). */
export function setRegistration(event: string, change: RegistrationChangeDto): Promise<RegistrationDto> {
  return call<RegistrationDto>('set_registration', { event, change });
}

/** The printed size of the registration card. */
export type CardSize = 'a6' | 'a4';

/** Saves the printable registration card in the data folder and opens it in the browser. */
export function printRegistrationCard(event: string, size: CardSize): Promise<CardFileDto> {
  return call<CardFileDto>('print_registration_card', { event, size });
}

/** The FTP receiver now: settings, running or why not, LAN addresses, camera accounts. */
export function ftpStatus(): Promise<FtpStatusDto> {
  return call<FtpStatusDto>('ftp_status');
}

/** Saves the receiver's settings; it restarts with them (or stops). A failure to start is in the status. */
export function setFtpSettings(settings: FtpSettingsDto): Promise<FtpStatusDto> {
  return call<FtpStatusDto>('set_ftp_settings', { settings });
}

/** Makes an account for one camera body; its password is generated. */
export function addCameraAccount(name: string): Promise<NewCameraAccount> {
  return call<NewCameraAccount>('add_camera_account', { name });
}

/** Revokes a camera account: the camera can no longer send (its photos stay). */
export async function removeCameraAccount(name: string): Promise<void> {
  await call<null>('remove_camera_account', { name });
}

/** The commands as one object, so the UI can be given a fake in tests. */
export const api = {
  tiles,
  tileChanges,
  photoDetail,
  activity,
  stats,
  watchedFolders,
  addWatchedFolder,
  removeWatchedFolder,
  importPaths,
  importCard,
  failures,
  participants,
  events,
  createEvent,
  useEvent,
  closeEvent,
  setLocalThreshold,
  setPublishChoice,
  eventParticipants,
  assignPhotos,
  assignTaken,
  unassignPhotos,
  setPublished,
  addParticipant,
  importParticipants,
  removeParticipant,
  setConsent,
  pickParticipantFace,
  syncSettings,
  saveSyncSettings,
  clearSyncSettings,
  testSyncConnection,
  pullRosterNow,
  registration,
  setRegistration,
  printRegistrationCard,
  ftpStatus,
  setFtpSettings,
  addCameraAccount,
  removeCameraAccount,
  onEngineNotices,
};
export type Api = typeof api;

/** A command error as words for the photographer, with what to do when there is something. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.whatToDo ? `${err.message} (${err.whatToDo})` : err.message;
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  return String(err);
}
