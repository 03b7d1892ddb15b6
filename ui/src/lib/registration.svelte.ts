// The guest registration section's state: the active event's registration on its
// event server (open or closed, code, short text, link + QR code, how many guests
// registered), and the printable card. It talks to the shell only through
// `RegistrationApi`, so tests hand it fakes.
import { errorMessage, isKind, type Api, type CardSize } from './api';
import type { CardFileDto } from './bindings/CardFileDto';
import type { RegistrationChangeDto } from './bindings/RegistrationChangeDto';
import type { RegistrationDto } from './bindings/RegistrationDto';

export type RegistrationApi = Pick<Api, 'registration' | 'setRegistration' | 'printRegistrationCard'>;

/** How often the count of registered guests is read again while the section shows. */
export const REGISTRATION_REFRESH_MS = 5000;

/** The longest short text the server takes. */
export const INTRO_MAX = 500;

/** A registration error in words for the photographer: what is wrong and what to do. */
export function registrationError(err: unknown): string {
  if (isKind(err, 'not_found')) return errorMessage(err);
  if (isKind(err, 'unavailable')) {
    return `The event server cannot be reached now, so guests cannot register either: ${errorMessage(err)}`;
  }
  if (isKind(err, 'unauthorized')) {
    return `The event server refused the photographer token (check it in Event server…): ${errorMessage(err)}`;
  }
  return errorMessage(err);
}

/** Who matches the guests' faces, as the guests' consent text says it. */
export function matcherSentence(matcher: string): string {
  return matcher === 'rekognition'
    ? "Guests are told their faces are matched with AWS Rekognition, on the photographer's AWS account."
    : "Guests are told their faces are matched on the photographer's computer.";
}

/** The QR code's SVG as an image address: shown with <img>, never put into the page as markup. */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

export class GuestRegistration {
  /** The registration as the server last answered, for `event`. */
  current = $state<RegistrationDto | null>(null);
  /** The event shown. */
  event = $state<string | null>(null);
  loaded = $state(false);
  busy = $state(false);
  error = $state<string | null>(null);
  /** Not an error: no event server is set up for the event yet (what to do). */
  setup = $state<string | null>(null);
  notice = $state<string | null>(null);
  /** The last card saved. */
  card = $state<CardFileDto | null>(null);

  readonly #api: RegistrationApi;

  constructor(api: RegistrationApi) {
    this.#api = api;
  }

  /** Reads the registration of `event` (another event forgets what was shown). */
  async load(event: string): Promise<RegistrationDto | null> {
    if (event !== this.event) {
      this.event = event;
      this.current = null;
      this.card = null;
      this.notice = null;
      this.loaded = false;
    }
    try {
      const answer = await this.#api.registration(event);
      if (this.event !== event) return null; // the active event changed meanwhile
      this.current = answer;
      this.error = null;
      this.setup = null;
      return answer;
    } catch (err) {
      if (this.event === event) {
        this.current = null;
        const noServer = isKind(err, 'not_found');
        this.setup = noServer ? errorMessage(err) : null;
        this.error = noServer ? null : registrationError(err);
      }
      return null;
    } finally {
      if (this.event === event) this.loaded = true;
    }
  }

  /** Opens or closes the registration. */
  async setOpen(open: boolean): Promise<boolean> {
    const done = await this.#change({ open });
    if (done) this.notice = open ? 'Registration is open: guests can sign up now.' : 'Registration is closed.';
    return done;
  }

  /** Saves the event code ("" removes it) and the short text. */
  async saveText(code: string, intro: string): Promise<boolean> {
    if (intro.trim().length > INTRO_MAX) {
      this.error = `The short text is ${intro.trim().length} characters; at most ${INTRO_MAX} fit on the page.`;
      return false;
    }
    const done = await this.#change({ code: code.trim(), intro: intro.trim() });
    if (done) this.notice = 'Saved: the registration page shows it now.';
    return done;
  }

  /** Saves the printable card and opens it in the browser. */
  async print(size: CardSize): Promise<CardFileDto | null> {
    const event = this.event;
    if (!event) return null;
    const card = await this.#run(() => this.#api.printRegistrationCard(event, size));
    if (!card) return null;
    this.card = card;
    this.notice = card.opened
      ? `The ${size.toUpperCase()} card opened in your browser: print it from there.`
      : `The ${size.toUpperCase()} card is saved: open the file below in a browser to print it.`;
    return card;
  }

  async #change(change: RegistrationChangeDto): Promise<boolean> {
    const event = this.event;
    if (!event) return false;
    const answer = await this.#run(() => this.#api.setRegistration(event, change));
    if (!answer) return false;
    if (this.event === event) this.current = answer;
    return true;
  }

  async #run<T>(action: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = null;
    this.notice = null;
    try {
      return await action();
    } catch (err) {
      this.error = registrationError(err);
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}
