// The events panel's state: the events, the active event's participants, and the
// confirmation being asked. It talks to the shell only through `EventsApi`, so tests
// hand it a fake; after every change it calls `onChanged` (the studio refreshes its
// participant filter and the tiles).
import { errorMessage, isKind, type Api } from './api';
import type { EventDto } from './bindings/EventDto';
import type { EventMatcher } from './bindings/EventMatcher';
import type { ParticipantDto } from './bindings/ParticipantDto';
import type { PublishChoice } from './bindings/PublishChoice';

export type EventsApi = Pick<
  Api,
  | 'events'
  | 'createEvent'
  | 'useEvent'
  | 'closeEvent'
  | 'setLocalThreshold'
  | 'setPublishChoice'
  | 'assignTaken'
  | 'eventParticipants'
  | 'addParticipant'
  | 'importParticipants'
  | 'removeParticipant'
  | 'setConsent'
  | 'pickParticipantFace'
>;

/** Who matches a new event: on this computer (the default: no account) or AWS. */
export type Matcher = EventMatcher;

/** Who matches an event's faces, in the photographer's words. */
export function matcherLabel(backend: string | null): string {
  if (backend === 'local') return 'On this computer';
  if (backend === 'rekognition') return 'AWS Rekognition';
  return 'Not matched yet';
}

const awsThreshold = (t: number) => t.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** An on-device threshold (a cosine similarity): 0.4 → "0.40". */
export function formatLocalThreshold(t: number): string {
  return t.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 3 });
}

/** The threshold that applies: the event's backend's, or both before it is tied to one. */
export function thresholdLabel(e: Pick<EventDto, 'backend' | 'threshold' | 'local_threshold'>): string {
  if (e.backend === 'local') return formatLocalThreshold(e.local_threshold);
  if (e.backend === 'rekognition') return awsThreshold(e.threshold);
  return `${formatLocalThreshold(e.local_threshold)} on this computer · ${awsThreshold(e.threshold)} AWS`;
}

/** What the panel asks before doing something that cannot be undone. */
export type Confirmation =
  | { kind: 'close'; event: EventDto }
  | { kind: 'remove'; event: string; participant: ParticipantDto };

/** The words of the close confirmation (the engine's contract, said plainly). */
export const CLOSE_WARNING =
  "Closing deletes this event's face data (on this computer, and its face collection at AWS Rekognition if it " +
  "was matched there) and its participants' selfies, and nothing more is matched against it. " +
  'The matches found so far stay, and so do its photos on the event server unless you take them off below. ' +
  'A closed event cannot be reopened.';

/** The words of the remove confirmation. */
export const REMOVE_WARNING =
  "Their matches are removed now; their face (here, or at AWS Rekognition) and their selfie are deleted. " +
  'To add them again, add them with a new selfie.';

/** A threshold typed for `matcher`, checked in that matcher's own scale. */
export function parseThreshold(matcher: Matcher, text: string): number | null | string {
  const t = text.trim();
  if (t === '') return null;
  const value = Number(t);
  if (matcher === 'local') {
    return Number.isFinite(value) && value >= 0 && value <= 1
      ? value
      : 'The on-device threshold is a number from 0 to 1 (leave it empty for 0.40; higher is stricter).';
  }
  return Number.isFinite(value) && value >= 0 && value <= 100
    ? value
    : 'The similarity threshold is a number from 0 to 100 (leave it empty for 80).';
}

/**
 * The engine's id rule (crates/keys: `EventId`), which is also the event server's,
 * so an event made here can always be synced. Checked here to say so before asking.
 */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class Events {
  list = $state<EventDto[]>([]);
  /** The active event's participants. */
  participants = $state<ParticipantDto[]>([]);
  /** True once the first load answered (avoids flashing the empty state). */
  loaded = $state(false);
  /** An action is running: the panel's buttons wait. */
  busy = $state(false);
  /** The last error, in words for the photographer (cleared by the next success). */
  error = $state<string | null>(null);
  confirmation = $state<Confirmation | null>(null);
  /** What the last "add photos taken from … to …" did. */
  assigned = $state<string | null>(null);
  /** The close confirmation's choice: the event's photos also leave its server. */
  withdrawOnClose = $state(false);
  /** A selfie dropped onto the panel, for the participant form to take. */
  droppedSelfie = $state<string | null>(null);
  /** What the last selfie-folder import did (shown under the participants). */
  imported = $state<{ added: number; skipped: string[] } | null>(null);
  /** Events whose face collection could not be deleted: closing again retries. */
  closeFailed = $state<string[]>([]);

  readonly #api: EventsApi;
  readonly #onChanged: () => Promise<void> | void;
  #loadSeq = 0;

  constructor(api: EventsApi, onChanged: () => Promise<void> | void = () => {}) {
    this.#api = api;
    this.#onChanged = onChanged;
  }

  get active(): EventDto | null {
    return this.list.find((e) => e.active) ?? null;
  }

  /** Reads the events, then the active event's participants. */
  async load(): Promise<void> {
    const seq = ++this.#loadSeq;
    let list: EventDto[];
    try {
      list = await this.#api.events();
    } catch (err) {
      if (seq === this.#loadSeq) this.error = `Could not read the events: ${errorMessage(err)}`;
      return;
    }
    if (seq !== this.#loadSeq) return; // a newer load already answered
    this.list = list;
    const active = list.find((e) => e.active);
    let participants: ParticipantDto[] = [];
    if (active) {
      try {
        participants = await this.#api.eventParticipants(active.id);
      } catch (err) {
        if (seq === this.#loadSeq) {
          this.error = `Could not read the participants of ${active.name}: ${errorMessage(err)}`;
        }
        return;
      }
    }
    if (seq !== this.#loadSeq) return;
    this.participants = participants;
    this.loaded = true;
  }

  /**
   * Creates an event from what was typed, matched by `matcher`, with the threshold
   * in that matcher's scale (blank: the default). Returns true when it was created,
   * so the form can be cleared.
   */
  async create(id: string, name: string, threshold: string, matcher: Matcher = 'local'): Promise<boolean> {
    const eventId = id.trim();
    const eventName = name.trim() || eventId;
    if (!ID_PATTERN.test(eventId)) {
      this.error = eventId
        ? `The event id "${eventId}" may only use letters, digits, '-' and '_' (at most 64).`
        : 'Type an id for the event first (letters, digits, "-" or "_").';
      return false;
    }
    const similarity = parseThreshold(matcher, threshold);
    if (typeof similarity === 'string') {
      this.error = similarity;
      return false;
    }
    if (this.list.some((e) => e.id === eventId)) {
      this.error = `There already is an event "${eventId}".`;
      return false;
    }
    return this.#run(`Could not create the event "${eventId}"`, async () => {
      await this.#api.createEvent(eventId, eventName, similarity, matcher);
    });
  }

  /**
   * Sets the on-device matcher's threshold of an event from what was typed (a cosine
   * similarity from 0 to 1). Matches below it go at once; matches above it are found
   * again from the stored face signatures. Returns true when it was set.
   */
  async setLocalThreshold(id: string, threshold: string): Promise<boolean> {
    const text = threshold.trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value < 0 || value > 1) {
      this.error = 'The on-device threshold is a number from 0 to 1 (0.40 by default; higher is stricter).';
      return false;
    }
    return this.#run(`Could not change the threshold of "${id}"`, async () => {
      await this.#api.setLocalThreshold(id, value);
    });
  }

  /**
   * Adds the catalog's photos taken in a time range (as `datetime-local` values, in
   * this computer's time zone) to the active event. Says how many joined in
   * `assigned`. Returns true when they were added.
   */
  async addTaken(from: string, to: string): Promise<boolean> {
    const event = this.active;
    if (!event) return false;
    const start = Date.parse(from);
    // A minute typed as the end includes its whole minute.
    const end = Date.parse(to) + 59_999;
    if (!Number.isFinite(start) || !Number.isFinite(end) || start > end) {
      this.error = 'Give the first and the last capture time (the first one before the last).';
      return false;
    }
    return this.#run(`Could not add photos to ${event.name}`, async () => {
      const a = await this.#api.assignTaken(event.id, start, end);
      const already = a.already > 0 ? ` (${a.already} already in it)` : '';
      this.assigned = `${a.added} photo${a.added === 1 ? '' : 's'} added to ${event.name}${already}.`;
    });
  }

  /**
   * Chooses which photos of an event its server shows. Photos now left out are
   * withdrawn from the server, photos now included are sent.
   */
  async setPublishChoice(id: string, choice: PublishChoice): Promise<boolean> {
    return this.#run(`Could not change what the server of "${id}" shows`, async () => {
      await this.#api.setPublishChoice(id, choice);
    });
  }

  /**
   * Adds a participant of the active event with a selfie file (`id` blank: made from
   * the name). Returns true when added, so the form can be cleared.
   */
  async addParticipant(name: string, id: string, selfie: string | null): Promise<boolean> {
    const event = this.active;
    const who = name.trim();
    const pid = id.trim();
    if (!event) {
      this.error = 'Create an event or use one first.';
      return false;
    }
    if (!who) {
      this.error = 'Type the participant’s name first.';
      return false;
    }
    if (pid && !ID_PATTERN.test(pid)) {
      this.error = `The id "${pid}" may only use letters, digits, '-' and '_' (at most 64); or leave it empty.`;
      return false;
    }
    if (!selfie) {
      this.error = `Choose a selfie of ${who} (a JPEG or PNG showing one face).`;
      return false;
    }
    return this.#run(`Could not add ${who}`, async () => {
      await this.#api.addParticipant(event.id, pid || null, who, selfie);
    });
  }

  /** Adds every photo of `dir` as a selfie of the active event; says what was skipped. */
  async importParticipants(dir: string, names: string | null): Promise<boolean> {
    const event = this.active;
    if (!event) {
      this.error = 'Create an event or use one first.';
      return false;
    }
    this.imported = null;
    return this.#run(`Could not import the selfies of ${dir}`, async () => {
      const report = await this.#api.importParticipants(event.id, dir, names);
      const skipped = report.skipped.map((f) => `${f.path}: ${f.reason}`);
      this.imported = { added: report.added, skipped };
    });
  }

  /**
   * Something dropped on the window while the panel is open: one photo is the
   * selfie for the form; a folder is imported as a folder of selfies.
   */
  async dropped(paths: string[]): Promise<void> {
    const [first] = paths;
    if (!first || paths.length > 1) {
      this.error = 'Drop one selfie (a JPEG or PNG), or one folder of selfies.';
      return;
    }
    if (/\.(jpe?g|png)$/i.test(first)) {
      this.error = null;
      this.droppedSelfie = first;
      return;
    }
    await this.importParticipants(first, null);
  }

  /** Makes `id` the active event. */
  use(id: string): Promise<boolean> {
    return this.#run(`Could not use the event "${id}"`, () => this.#api.useEvent(id));
  }

  /** Asks before closing an event (see CLOSE_WARNING). */
  askClose(event: EventDto): void {
    this.withdrawOnClose = false;
    this.confirmation = { kind: 'close', event };
  }

  /** Asks before removing a participant of the active event. */
  askRemove(participant: ParticipantDto): void {
    const event = this.active;
    if (event) this.confirmation = { kind: 'remove', event: event.id, participant };
  }

  cancel(): void {
    this.confirmation = null;
  }

  /** Does what the confirmation asked about. */
  async confirm(): Promise<boolean> {
    const asked = this.confirmation;
    this.confirmation = null;
    if (!asked) return false;
    if (asked.kind === 'close') return this.#close(asked.event.id);
    return this.#remove(asked.event, asked.participant);
  }

  /** Gives or withdraws consent; the row shows the engine's answer at once. */
  async setConsent(participant: ParticipantDto, consent: boolean): Promise<boolean> {
    const event = this.active;
    if (!event) return false;
    const action = consent ? 'give' : 'withdraw';
    return this.#run(`Could not ${action} the consent of ${participant.name}`, async () => {
      const updated = await this.#api.setConsent(event.id, participant.id, consent);
      this.participants = this.participants.map((p) => (p.id === updated.id ? updated : p));
    });
  }

  /**
   * Uses face `face` of the participant's selfie (one that shows several); the
   * list is read again, so the row shows it waiting to be indexed.
   */
  async pickFace(participant: ParticipantDto, face: number): Promise<boolean> {
    const event = this.active;
    if (!event) return false;
    return this.#run(`Could not use that face for ${participant.name}`, async () => {
      await this.#api.pickParticipantFace(event.id, participant.id, face);
    });
  }

  #close(id: string): Promise<boolean> {
    return this.#run(
      `Could not close the event "${id}"`,
      async () => {
        await this.#api.closeEvent(id, this.withdrawOnClose);
        this.closeFailed = this.closeFailed.filter((e) => e !== id);
      },
      (err) => {
        // Closed, but the face service could not delete the collection now: the
        // photographer can close again to retry. Any other failure closed nothing.
        if (isKind(err, 'unavailable') && !this.closeFailed.includes(id)) {
          this.closeFailed = [...this.closeFailed, id];
        }
      },
    );
  }

  #remove(event: string, participant: ParticipantDto): Promise<boolean> {
    return this.#run(`Could not remove ${participant.name}`, async () => {
      await this.#api.removeParticipant(event, participant.id);
      this.participants = this.participants.filter((p) => p.id !== participant.id);
    });
  }

  /**
   * Runs one action: errors become `error` (prefixed with what failed); success or
   * not, the list is read again and the studio told, since a half-done action (an
   * event closed whose collection could not be deleted) changed things too.
   */
  async #run(what: string, action: () => Promise<void>, onError?: (err: unknown) => void): Promise<boolean> {
    this.busy = true;
    this.error = null;
    let ok = true;
    try {
      await action();
    } catch (err) {
      ok = false;
      onError?.(err);
      this.error = `${what}: ${errorMessage(err)}`;
    }
    try {
      const failed = this.error;
      await this.load();
      // Keep the action's error over a later read's success.
      if (failed) this.error = failed;
      await this.#onChanged();
    } finally {
      this.busy = false;
    }
    return ok;
  }
}
