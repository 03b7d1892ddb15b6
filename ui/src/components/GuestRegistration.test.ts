// The guest registration section of the events panel, over recording fakes of the
// engine's registration commands (the engine side is tested against the real
// reference server in tests/studio/registration.rs).
import { mockConvertFileSrc } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/api';
import type { RegistrationDto } from '../lib/bindings/RegistrationDto';
import { Events } from '../lib/events.svelte';
import { GuestRegistration, REGISTRATION_REFRESH_MS, svgDataUrl } from '../lib/registration.svelte';
import {
  QR_SVG,
  event,
  fakeEventsApi,
  fakeRegistrationApi,
  registrationDto,
  type EventsBackend,
} from '../tests/fixtures';
import EventsPanel from './EventsPanel.svelte';
import GuestRegistrationSection from './GuestRegistration.svelte';

beforeEach(() => mockConvertFileSrc('linux'));
afterEach(() => vi.useRealTimers());

function eventsState(): EventsBackend {
  return { events: [event('gala', { name: 'Gala', active: true, backend: 'local' })], participants: { gala: [] } };
}

function setup(registrations: Record<string, RegistrationDto> = { gala: registrationDto('gala') }) {
  const api = fakeRegistrationApi(registrations);
  const registration = new GuestRegistration(api);
  const copy = vi.fn(async (_text: string) => {});
  render(GuestRegistrationSection, { props: { registration, event: { id: 'gala', name: 'Gala' }, copy } });
  return { api, registration, copy, registrations };
}

const el = (testId: string) => screen.getByTestId(testId) as HTMLInputElement;
const text = (testId: string) => (screen.getByTestId(testId).textContent ?? '').replace(/\s+/g, ' ').trim();

describe('Guest registration', () => {
  it('shows the link, its QR code as an image, the state and the count', async () => {
    setup({ gala: registrationDto('gala', { registered: 3, code: 'ROSE42', intro: 'Welcome!' }) });
    await waitFor(() => expect(el('registration-link').value).toBe('https://ev.example/e/gala'));
    const qr = screen.getByTestId('registration-qr') as HTMLImageElement;
    expect(qr.tagName).toBe('IMG');
    expect(qr.getAttribute('src')).toBe(svgDataUrl(QR_SVG));
    expect(decodeURIComponent(qr.getAttribute('src')!.split(',')[1]!)).toBe(QR_SVG);
    expect(qr.alt).toBe('QR code of https://ev.example/e/gala');
    // The SVG is never put into the page as markup.
    expect(screen.getByTestId('guest-registration').querySelector('svg')).toBeNull();
    expect(text('registration-state')).toBe('Closed · 3 guests registered');
    expect(el('registration-open').checked).toBe(false);
    expect(el('registration-code').value).toBe('ROSE42');
    expect((screen.getByTestId('registration-intro') as HTMLTextAreaElement).value).toBe('Welcome!');
    expect(text('registration-matcher')).toContain("matched on the photographer's computer");
    expect(text('registration-matcher')).toContain('kept 30 days');
  });

  it('a hostile QR answer stays an image and cannot add markup', async () => {
    const evil = '<svg><script>window.pwned = true</script></svg>"><img src=x onerror=alert(1)>';
    setup({ gala: registrationDto('gala', { qr_svg: evil }) });
    await waitFor(() => expect(screen.getByTestId('registration-qr')).toBeTruthy());
    const section = screen.getByTestId('guest-registration');
    expect(section.querySelectorAll('img')).toHaveLength(1);
    expect(section.querySelector('script')).toBeNull();
    expect((window as unknown as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it('opens and closes the registration through the engine', async () => {
    const { api } = setup();
    await waitFor(() => expect(el('registration-open')).toBeTruthy());
    await fireEvent.click(el('registration-open'));
    await waitFor(() => expect(text('registration-state')).toContain('Open'));
    expect(api.setRegistration).toHaveBeenLastCalledWith('gala', { open: true });
    expect(el('registration-open').checked).toBe(true);
    expect(text('registration-notice')).toContain('guests can sign up now');
    await fireEvent.click(el('registration-open'));
    await waitFor(() => expect(text('registration-state')).toContain('Closed'));
    expect(api.setRegistration).toHaveBeenLastCalledWith('gala', { open: false });
  });

  it('saves the event code and the short text, trimmed', async () => {
    const { api, registrations } = setup();
    await waitFor(() => expect(el('registration-code')).toBeTruthy());
    await fireEvent.input(el('registration-code'), { target: { value: ' ROSE42 ' } });
    await fireEvent.input(screen.getByTestId('registration-intro'), { target: { value: ' Smile! ' } });
    await fireEvent.click(screen.getByTestId('registration-save'));
    await waitFor(() => expect(api.setRegistration).toHaveBeenCalledWith('gala', { code: 'ROSE42', intro: 'Smile!' }));
    expect(registrations.gala?.code).toBe('ROSE42');
    await waitFor(() => expect(text('registration-notice')).toContain('Saved'));
  });

  it('refuses a short text longer than the page takes, without sending it', async () => {
    const { api } = setup();
    await waitFor(() => expect(el('registration-code')).toBeTruthy());
    await fireEvent.input(screen.getByTestId('registration-intro'), { target: { value: 'x'.repeat(501) } });
    await fireEvent.click(screen.getByTestId('registration-save'));
    expect(text('registration-error')).toContain('at most 500');
    expect(api.setRegistration).not.toHaveBeenCalled();
  });

  it('reads the count of registered guests again every few seconds while shown', async () => {
    vi.useFakeTimers();
    const { api, registrations } = setup({ gala: registrationDto('gala', { open: true }) });
    await vi.advanceTimersByTimeAsync(0);
    expect(text('registration-count')).toBe('0');
    registrations.gala!.registered = 2;
    await vi.advanceTimersByTimeAsync(REGISTRATION_REFRESH_MS);
    expect(text('registration-count')).toBe('2');
    expect(text('registration-state')).toBe('Open · 2 guests registered');
    expect(api.registration.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('copies the link', async () => {
    const { copy } = setup();
    await waitFor(() => expect(screen.getByTestId('registration-copy')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('registration-copy'));
    expect(copy).toHaveBeenCalledWith('https://ev.example/e/gala');
    await waitFor(() => expect(screen.getByTestId('registration-copy').textContent?.trim()).toBe('Copied'));
  });

  it('prints the card and shows where it was saved', async () => {
    const { api, copy } = setup();
    await waitFor(() => expect(screen.getByTestId('registration-print-a4')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('registration-print-a4'));
    await waitFor(() => expect(text('registration-notice')).toContain('A4 card opened in your browser'));
    expect(api.printRegistrationCard).toHaveBeenCalledWith('gala', 'a4');
    const saved = screen.getByTestId('registration-card');
    expect((within(saved).getByRole('textbox') as HTMLInputElement).value).toBe('/data/cards/gala-a4.html');
    await fireEvent.click(within(saved).getByRole('button', { name: 'Copy path' }));
    expect(copy).toHaveBeenCalledWith('/data/cards/gala-a4.html');
  });

  it('says what to do when the event has no server set up, as a hint, not an error', async () => {
    setup({});
    const hint = await screen.findByTestId('registration-setup');
    expect(hint.textContent).toContain('no event server is set up for the event gala');
    expect(hint.className).toBe('hint');
    expect(screen.queryByTestId('registration-error')).toBeNull();
    expect(screen.queryByTestId('registration-qr')).toBeNull();
  });

  it('says clearly when the server cannot be reached, and recovers when it answers again', async () => {
    vi.useFakeTimers();
    const registrations = { gala: registrationDto('gala') };
    const api = fakeRegistrationApi(registrations);
    api.registration.mockRejectedValueOnce(new ApiError('unavailable', 'could not connect to the event server'));
    const registration = new GuestRegistration(api);
    render(GuestRegistrationSection, { props: { registration, event: { id: 'gala', name: 'Gala' } } });
    await vi.advanceTimersByTimeAsync(0);
    expect(text('registration-error')).toBe(
      'The event server cannot be reached now, so guests cannot register either: could not connect to the event server',
    );
    await vi.advanceTimersByTimeAsync(REGISTRATION_REFRESH_MS);
    expect(screen.queryByTestId('registration-error')).toBeNull();
    expect(screen.getByTestId('registration-qr')).toBeTruthy();
  });

  it('is part of the events panel for the active event', async () => {
    const registration = new GuestRegistration(fakeRegistrationApi({ gala: registrationDto('gala', { registered: 1 }) }));
    const events = new Events(fakeEventsApi(eventsState()), vi.fn());
    render(EventsPanel, { props: { events, onClose: vi.fn(), registration } });
    await waitFor(() => expect(text('registration-state')).toBe('Closed · 1 guest registered'));
    expect(screen.getByText('Guest registration of Gala')).toBeTruthy();
  });
});
