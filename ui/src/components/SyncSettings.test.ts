// The event server settings panel over the real api wrappers and a mocked Tauri
// IPC, so what is checked is what would cross to the shell.
import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../lib/api';
import type { ConnectionTestDto } from '../lib/bindings/ConnectionTestDto';
import type { SyncSettingsDto } from '../lib/bindings/SyncSettingsDto';
import { SyncSettings } from '../lib/sync.svelte';
import { syncSettings } from '../tests/fixtures';
import SyncSettingsPanel from './SyncSettings.svelte';

const TOKEN = 'tok-9f8e7d6c5b4a';

interface SyncShell {
  settings: SyncSettingsDto;
  testAnswer: ConnectionTestDto;
  pulled: boolean;
  /** Commands that reject, with the engine's message. */
  fail: Record<string, string>;
  calls: { cmd: string; args: Record<string, unknown> }[];
}

/** A fake shell that answers the sync commands the way the engine does. */
function shell(initial: Partial<SyncShell> = {}): SyncShell {
  const backend: SyncShell = {
    settings: syncSettings(),
    testAnswer: { ok: true, message: 'Connected: Gala 2026 (gala)', event_name: 'Gala 2026' },
    pulled: true,
    fail: {},
    calls: [],
    ...initial,
  };
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    backend.calls.push({ cmd, args });
    const failure = backend.fail[cmd];
    if (failure) throw failure;
    switch (cmd) {
      case 'sync_settings':
        return backend.settings;
      case 'save_sync_settings': {
        const input = args.input as { server_url: string; event: string; token?: string };
        backend.settings = syncSettings({
          server_url: input.server_url,
          event: input.event,
          has_token: true,
          source: 'settings',
          running: true,
        });
        return backend.settings;
      }
      case 'clear_sync_settings':
        backend.settings = syncSettings({ server_url: null, event: null, has_token: false, source: 'none', running: false });
        return backend.settings;
      case 'test_sync_connection':
        return backend.testAnswer;
      case 'pull_roster_now':
        return backend.pulled;
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  return backend;
}

function setup(initial: Partial<SyncShell> = {}) {
  const backend = shell(initial);
  const onClose = vi.fn();
  const changed = vi.fn();
  const sync = new SyncSettings(api, changed);
  render(SyncSettingsPanel, { props: { sync, onClose } });
  return { backend, onClose, changed, sync };
}

const sent = (backend: SyncShell, cmd: string) => backend.calls.filter((c) => c.cmd === cmd);
const input = (testId: string) => screen.getByTestId(testId) as HTMLInputElement;
/** An element's text with the template's line breaks folded. */
const text = (testId: string) => (screen.getByTestId(testId).textContent ?? '').replace(/\s+/g, ' ').trim();

async function loaded() {
  await waitFor(() => expect(screen.getByTestId('sync-running')).toBeTruthy());
}

describe('SyncSettings panel', () => {
  it('shows what is set up, with the form filled in and the token field empty', async () => {
    setup();
    await loaded();
    expect(text('sync-running')).toBe('Running with event gala on https://ev.example');
    expect(screen.getByTestId('sync-source').textContent).toBe('saved in this app');
    expect(screen.getByTestId('sync-token').textContent?.trim()).toBe('Stored in the system keyring');
    expect(screen.getByTestId('sync-keyring').textContent).toContain('the system keyring');
    expect(input('sync-server').value).toBe('https://ev.example');
    expect(input('sync-event').value).toBe('gala');
    const token = screen.getByLabelText('Photographer token') as HTMLInputElement;
    expect(token.type).toBe('password');
    expect(token.value).toBe('');
    expect(token.placeholder).toBe('A token is stored: leave empty to keep it');
    expect(screen.queryByTestId('sync-env-note')).toBeNull();
  });

  it('says when no token is stored and that nothing runs', async () => {
    setup({ settings: syncSettings({ server_url: null, event: null, has_token: false, source: 'none', running: false }) });
    await loaded();
    expect(screen.getByTestId('sync-running').textContent).toContain('Not running');
    expect(screen.getByTestId('sync-source').textContent).toBe('not set up');
    expect(screen.getByTestId('sync-token').textContent?.trim()).toBe('None stored');
    expect(input('sync-token-input').placeholder).toBe('Paste the photographer token from the event server');
    expect(input('sync-server').value).toBe('');
    expect((screen.getByTestId('sync-pull') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('sync-disconnect') as HTMLButtonElement).disabled).toBe(true);
  });

  it('explains settings that come from the environment', async () => {
    setup({ settings: syncSettings({ source: 'environment' }) });
    await loaded();
    expect(screen.getByTestId('sync-source').textContent).toContain('FINDME_SERVER_URL');
    expect(text('sync-env-note')).toContain('Saving here takes over for this session');
    expect(screen.getByTestId('sync-token').textContent?.trim()).toBe('From FINDME_TOKEN');
  });

  it('saves exactly the typed fields, then empties the token field and never shows the token', async () => {
    const { backend, changed } = setup({ settings: syncSettings({ has_token: false, running: false }) });
    await loaded();
    await fireEvent.input(input('sync-server'), { target: { value: ' https://photos.example.org ' } });
    await fireEvent.input(input('sync-event'), { target: { value: 'wedding-2026' } });
    await fireEvent.input(input('sync-token-input'), { target: { value: TOKEN } });
    expect(document.body.innerHTML).not.toContain(TOKEN); // only the field's value holds it
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));

    await waitFor(() => expect(screen.getByTestId('sync-notice').textContent).toContain('Saved. Syncing with event wedding-2026'));
    expect(sent(backend, 'save_sync_settings')).toStrictEqual([
      { cmd: 'save_sync_settings', args: { input: { server_url: 'https://photos.example.org', event: 'wedding-2026', token: TOKEN } } },
    ]);
    expect(input('sync-token-input').value).toBe('');
    expect(input('sync-token-input').placeholder).toBe('A token is stored: leave empty to keep it');
    expect(screen.getByTestId('sync-running').textContent).toContain('Running');
    expect(document.body.innerHTML).not.toContain(TOKEN);
    expect(JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })).not.toContain(TOKEN);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('leaves the token out when the field is empty (the stored one is kept)', async () => {
    const { backend } = setup();
    await loaded();
    await fireEvent.input(input('sync-token-input'), { target: { value: '   ' } });
    await fireEvent.submit(screen.getByRole('form', { name: 'Event server settings' }));
    await waitFor(() => expect(sent(backend, 'save_sync_settings')).toHaveLength(1));
    const sentInput = sent(backend, 'save_sync_settings')[0]?.args.input as Record<string, unknown>;
    expect(Object.keys(sentInput).sort()).toEqual(['event', 'server_url']);
    expect(sentInput).toStrictEqual({ server_url: 'https://ev.example', event: 'gala' });
  });

  it('tests the connection without saving and shows the answer', async () => {
    const { backend } = setup();
    await loaded();
    await fireEvent.input(input('sync-token-input'), { target: { value: TOKEN } });
    await fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    const ok = await screen.findByTestId('sync-test-result');
    expect(ok.textContent?.trim()).toBe('Connected: Gala 2026 (gala)');
    expect(ok.getAttribute('role')).toBe('status');
    expect(sent(backend, 'test_sync_connection')).toStrictEqual([
      { cmd: 'test_sync_connection', args: { input: { server_url: 'https://ev.example', event: 'gala', token: TOKEN } } },
    ]);
    expect(sent(backend, 'save_sync_settings')).toHaveLength(0);
    expect(input('sync-token-input').value).toBe(TOKEN); // kept for the save that follows

    backend.testAnswer = { ok: false, message: 'the event server refused the token', event_name: null };
    await fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('the event server refused the token'));
  });

  it('shows the engine error of a failed save and keeps what was typed', async () => {
    const { backend, changed } = setup({
      fail: { save_sync_settings: 'invalid event server URL "ftp://x": use http or https' },
    });
    await loaded();
    await fireEvent.input(input('sync-server'), { target: { value: 'ftp://x' } });
    await fireEvent.input(input('sync-token-input'), { target: { value: TOKEN } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const error = await screen.findByTestId('sync-error');
    expect(error.textContent).toBe(
      'Could not save the event server settings: invalid event server URL "ftp://x": use http or https',
    );
    expect(sent(backend, 'save_sync_settings')).toHaveLength(1);
    expect(input('sync-server').value).toBe('ftp://x');
    expect(screen.queryByTestId('sync-notice')).toBeNull();
    expect(changed).not.toHaveBeenCalled();
  });

  it('offers to allow plain http with the warning, and sends the permission only when ticked', async () => {
    const { backend } = setup();
    await loaded();
    expect(screen.queryByTestId('sync-plain-http')).toBeNull(); // https: nothing to allow
    await fireEvent.input(input('sync-server'), { target: { value: 'http://192.168.1.20:8787' } });
    expect(text('sync-plain-http')).toContain('cross the venue');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByTestId('sync-notice').textContent).toContain('Saved'));
    expect(sent(backend, 'save_sync_settings')[0]?.args.input).toStrictEqual({
      server_url: 'http://192.168.1.20:8787',
      event: 'gala',
    });
    await fireEvent.click(input('sync-plain-http-allow'));
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(sent(backend, 'save_sync_settings')).toHaveLength(2));
    expect(sent(backend, 'save_sync_settings')[1]?.args.input).toStrictEqual({
      server_url: 'http://192.168.1.20:8787',
      event: 'gala',
      allow_plain_http: true,
    });
  });

  it('shows the permission ticked when the saved settings allow plain http', async () => {
    setup({ settings: syncSettings({ server_url: 'http://10.0.0.5:8787', allow_plain_http: true }) });
    await loaded();
    await waitFor(() => expect(input('sync-plain-http-allow').checked).toBe(true));
  });

  it('asks for a server and an event before sending anything', async () => {
    const { backend } = setup({ settings: syncSettings({ server_url: null, event: null, running: false }) });
    await loaded();
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByTestId('sync-error').textContent).toContain('Type the event server address first');
    await fireEvent.input(input('sync-server'), { target: { value: 'https://ev.example' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(screen.getByTestId('sync-error').textContent).toContain('Type the event id');
    expect(backend.calls.map((c) => c.cmd)).toEqual(['sync_settings']);
  });

  it('shows why the settings could not be read', async () => {
    setup({ fail: { sync_settings: 'the catalog is locked' } });
    expect((await screen.findByTestId('sync-error')).textContent).toBe(
      'Could not read the event server settings: the catalog is locked',
    );
  });

  it('asks before disconnecting and disconnects only when confirmed', async () => {
    const { backend, changed } = setup();
    await loaded();
    await fireEvent.click(screen.getByRole('button', { name: 'Disconnect…' }));
    const ask = screen.getByRole('alertdialog');
    expect(ask.textContent).toContain('Disconnect from the event server?');
    expect(document.activeElement).toBe(within(ask).getByRole('button', { name: 'Cancel' }));
    await fireEvent.click(within(ask).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(sent(backend, 'clear_sync_settings')).toHaveLength(0);

    await fireEvent.click(screen.getByRole('button', { name: 'Disconnect…' }));
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Disconnect' }));
    await waitFor(() => expect(screen.getByTestId('sync-running').textContent).toContain('Not running'));
    expect(sent(backend, 'clear_sync_settings')).toHaveLength(1);
    expect(input('sync-server').value).toBe('');
    expect(input('sync-event').value).toBe('');
    expect(screen.getByTestId('sync-notice').textContent).toContain('Disconnected');
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('Esc cancels the disconnect question first, then closes the panel', async () => {
    const { backend, onClose } = setup();
    await loaded();
    const panel = screen.getByRole('dialog', { name: 'Event server' });
    expect(panel.getAttribute('aria-modal')).toBe('true');
    await fireEvent.click(screen.getByRole('button', { name: 'Disconnect…' }));
    await fireEvent.keyDown(panel, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(onClose).not.toHaveBeenCalled();
    await fireEvent.keyDown(panel, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(sent(backend, 'clear_sync_settings')).toHaveLength(0);
  });

  it('pulls the guest list on demand while sync runs', async () => {
    const { backend } = setup();
    await loaded();
    await fireEvent.click(screen.getByRole('button', { name: 'Pull guests now' }));
    expect((await screen.findByTestId('sync-notice')).textContent).toContain('Pulling the guest list now');
    expect(sent(backend, 'pull_roster_now')).toHaveLength(1);

    backend.pulled = false; // sync stopped meanwhile
    await fireEvent.click(screen.getByRole('button', { name: 'Pull guests now' }));
    await waitFor(() => expect(screen.getByTestId('sync-error').textContent).toContain('Sync is not running'));
    expect(screen.queryByTestId('sync-notice')).toBeNull();
  });
});
