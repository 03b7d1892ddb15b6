// The Cameras (FTP) dialog over the real api wrappers and a mocked Tauri IPC,
// so what is checked is what would cross to the shell.
import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../lib/api';
import type { FtpSettingsDto } from '../lib/bindings/FtpSettingsDto';
import type { FtpStatusDto } from '../lib/bindings/FtpStatusDto';
import { Cameras, accountNameProblem, settingsOf, formOf } from '../lib/cameras.svelte';
import { cameraAccount, event, ftpSettings, ftpStatus } from '../tests/fixtures';
import CameraSettings from './CameraSettings.svelte';

interface FtpShell {
  status: FtpStatusDto;
  /** What starting the receiver answers: null starts it, a string is why it cannot. */
  startError: string | null;
  /** Commands that reject, with the engine's message. */
  fail: Record<string, string>;
  calls: { cmd: string; args: Record<string, unknown> }[];
}

/** A fake shell that answers the FTP commands the way the engine does. */
function shell(initial: Partial<FtpShell> = {}): FtpShell {
  const backend: FtpShell = { status: ftpStatus(), startError: null, fail: {}, calls: [], ...initial };
  let serial = 0;
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    backend.calls.push({ cmd, args });
    const failure = backend.fail[cmd];
    if (failure) throw { kind: 'invalid', message: failure, what_to_do: null };
    const s = backend.status;
    switch (cmd) {
      case 'ftp_status':
        return s;
      case 'set_ftp_settings': {
        const settings = args.settings as FtpSettingsDto;
        const running = settings.enabled && backend.startError === null;
        backend.status = {
          ...s,
          settings,
          running,
          port: running ? settings.port : null,
          error: settings.enabled ? backend.startError : null,
          event: settings.event,
          dir: settings.dir ?? s.dir,
        };
        return backend.status;
      }
      case 'add_camera_account': {
        const name = String(args.name);
        if (s.accounts.some((a) => a.user === name)) {
          throw { kind: 'conflict', message: `a camera account named ${name} exists already`, what_to_do: null };
        }
        const password = `k7m${++serial}qz9wxp2r`;
        backend.status = { ...s, accounts: [...s.accounts, cameraAccount(name, { password })] };
        return { user: name, password };
      }
      case 'remove_camera_account': {
        const name = String(args.name);
        if (!s.accounts.some((a) => a.user === name)) {
          throw { kind: 'not_found', message: `no camera account named ${name}`, what_to_do: null };
        }
        backend.status = { ...s, accounts: s.accounts.filter((a) => a.user !== name) };
        return null;
      }
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  return backend;
}

function setup(initial: Partial<FtpShell> = {}, events = [event('gala', { name: 'Gala 2026', active: true }), event('party')]) {
  const backend = shell(initial);
  const onClose = vi.fn();
  const copy = vi.fn(async (_text: string) => {});
  const pickFolder = vi.fn(async (_title: string): Promise<string | null> => '/media/ssd/Live');
  const cameras = new Cameras(api);
  render(CameraSettings, { props: { cameras, events, onClose, copy, pickFolder } });
  return { backend, onClose, copy, pickFolder, cameras };
}

const sent = (backend: FtpShell, cmd: string) => backend.calls.filter((c) => c.cmd === cmd);
const input = (testId: string) => screen.getByTestId(testId) as HTMLInputElement;
/** An element's text with the template's line breaks folded. */
const text = (testId: string) => (screen.getByTestId(testId).textContent ?? '').replace(/\s+/g, ' ').trim();

async function loaded() {
  await waitFor(() => expect(screen.getByTestId('ftp-running')).toBeTruthy());
}

describe('Cameras (FTP) dialog', () => {
  it('shows the receiver off with the saved settings in the form', async () => {
    setup();
    await loaded();
    expect(text('ftp-running')).toBe('Not running The receiver is off.');
    expect(input('ftp-enabled').checked).toBe(false);
    expect(input('ftp-port').value).toBe('2121');
    expect(input('ftp-passive-first').value).toBe('50000');
    expect(input('ftp-passive-last').value).toBe('50100');
    expect(input('ftp-ftps').checked).toBe(false);
    expect(input('ftp-dir').value).toBe('');
    expect(input('ftp-dir').placeholder).toBe('/home/ana/Pictures/FindMe (the default)');
    const join = screen.getByTestId('ftp-event') as HTMLSelectElement;
    expect(join.value).toBe('');
    expect(join.selectedOptions[0]?.textContent).toBe('Gala 2026 (the active event)');
    expect(screen.getByTestId('no-accounts')).toBeTruthy();
  });

  it('switches the receiver on with the typed settings and says where it runs', async () => {
    const { backend, pickFolder } = setup();
    await loaded();
    await fireEvent.click(input('ftp-enabled'));
    await fireEvent.input(input('ftp-port'), { target: { value: ' 2200 ' } });
    await fireEvent.input(input('ftp-passive-first'), { target: { value: '51000' } });
    await fireEvent.input(input('ftp-passive-last'), { target: { value: '51010' } });
    await fireEvent.click(input('ftp-ftps'));
    await fireEvent.click(screen.getByTestId('ftp-dir-choose'));
    await waitFor(() => expect(input('ftp-dir').value).toBe('/media/ssd/Live'));
    expect(pickFolder).toHaveBeenCalledTimes(1);
    await fireEvent.change(screen.getByTestId('ftp-event'), { target: { value: 'party' } });
    await fireEvent.click(screen.getByTestId('ftp-save'));

    await waitFor(() => expect(text('cameras-notice')).toBe('Saved. Cameras can send to port 2200 now.'));
    expect(sent(backend, 'set_ftp_settings')).toStrictEqual([
      {
        cmd: 'set_ftp_settings',
        args: {
          settings: {
            enabled: true,
            port: 2200,
            passive_first: 51000,
            passive_last: 51010,
            ftps: true,
            dir: '/media/ssd/Live',
            event: 'party',
          },
        },
      },
    ]);
    expect(text('ftp-running')).toBe('Running on port 2200; photos land in /media/ssd/Live and join party.');
  });

  it('says why the receiver does not run (the engine error), not that saving failed', async () => {
    const { backend } = setup({ startError: 'port 2121 is in use by another program: choose another port' });
    await loaded();
    await fireEvent.click(input('ftp-enabled'));
    await fireEvent.click(screen.getByTestId('ftp-save'));
    await waitFor(() => expect(screen.getByTestId('ftp-error').textContent).toBe(
      'port 2121 is in use by another program: choose another port',
    ));
    expect(sent(backend, 'set_ftp_settings')).toHaveLength(1);
    expect(text('ftp-running')).toContain('Not running');
    expect(screen.queryByTestId('cameras-notice')).toBeNull();
    expect(screen.queryByTestId('cameras-error')).toBeNull();
  });

  it('refuses ports that cannot work before asking the engine', async () => {
    const { backend } = setup();
    await loaded();
    await fireEvent.input(input('ftp-passive-first'), { target: { value: '50100' } });
    await fireEvent.input(input('ftp-passive-last'), { target: { value: '50000' } });
    await fireEvent.click(screen.getByTestId('ftp-save'));
    expect(text('cameras-error')).toBe('The passive port range ends (50000) before it starts (50100).');
    await fireEvent.input(input('ftp-passive-last'), { target: { value: '50200' } });
    await fireEvent.input(input('ftp-port'), { target: { value: '70000' } });
    await fireEvent.click(screen.getByTestId('ftp-save'));
    expect(text('cameras-error')).toBe('The port must be a number from 1 to 65535, not “70000”.');
    expect(sent(backend, 'set_ftp_settings')).toHaveLength(0);
  });

  it('adds a camera and opens its setup sheet, ready to copy into the camera', async () => {
    const { backend, copy } = setup({ status: ftpStatus({ running: true, port: 2121, addresses: ['192.168.1.20', '10.0.0.5'] }) });
    await loaded();
    await fireEvent.input(input('account-name'), { target: { value: ' nikon-z9 ' } });
    await fireEvent.click(screen.getByTestId('account-add'));

    await waitFor(() => expect(screen.getByTestId('account-nikon-z9')).toBeTruthy());
    expect(sent(backend, 'add_camera_account')).toStrictEqual([{ cmd: 'add_camera_account', args: { name: 'nikon-z9' } }]);
    expect(input('account-name').value).toBe('');
    const sheet = within(screen.getByTestId('account-nikon-z9')).getByTestId('setup-sheet');
    const row = (key: string) => (within(sheet).getByTestId(`sheet-${key}`).querySelector('span')?.textContent ?? '').trim();
    expect(row('host-0')).toBe('192.168.1.20');
    expect(row('host-1')).toBe('10.0.0.5');
    expect(row('port')).toBe('2121');
    expect(row('user')).toBe('nikon-z9');
    expect(row('password')).toBe('k7m1qz9wxp2r');
    expect(row('passive')).toBe('On');
    expect(row('ftps')).toBe('Off: plain FTP');
    expect(row('folder')).toBe('/');
    expect(within(sheet).getByTestId('sheet-password').querySelector('.mono')).toBeTruthy();

    await fireEvent.click(within(sheet).getByTestId('copy-password'));
    expect(copy).toHaveBeenCalledWith('k7m1qz9wxp2r');
    await waitFor(() => expect(within(sheet).getByTestId('copy-password').textContent).toBe('Copied'));
    await fireEvent.click(within(sheet).getByTestId('copy-host-1'));
    expect(copy).toHaveBeenLastCalledWith('10.0.0.5');
  });

  it("says \"this computer's address\" when no network address is known, and FTPS when it is on", async () => {
    setup({
      status: ftpStatus({ addresses: [], settings: ftpSettings({ ftps: true }), accounts: [cameraAccount('r6')] }),
    });
    await loaded();
    await fireEvent.click(screen.getByTestId('sheet-toggle-r6'));
    const sheet = screen.getByTestId('setup-sheet');
    expect(within(sheet).getByTestId('sheet-host').textContent?.trim()).toBe("this computer's address");
    expect(within(sheet).queryByTestId('copy-host')).toBeNull();
    expect(within(sheet).getByTestId('sheet-no-address')).toBeTruthy();
    expect(within(sheet).getByTestId('sheet-ftps').textContent).toContain('On: explicit FTPS');
    // Not running: the saved port is what the camera will reach.
    expect(within(sheet).getByTestId('sheet-port').textContent).toContain('2121');
  });

  it('refuses a name the engine would refuse, and says the rule', async () => {
    const { backend } = setup();
    await loaded();
    await fireEvent.input(input('account-name'), { target: { value: 'Nikon Z9' } });
    await fireEvent.click(screen.getByTestId('account-add'));
    expect(text('cameras-error')).toContain('cannot be an account name: use 1 to 64 letters, digits, - or _');
    expect(sent(backend, 'add_camera_account')).toHaveLength(0);
    expect(screen.getByText(/Names: 1 to 64 letters/)).toBeTruthy();
  });

  it("shows the engine's answer to a name that exists", async () => {
    setup({ status: ftpStatus({ accounts: [cameraAccount('z9')] }) });
    await loaded();
    await fireEvent.input(input('account-name'), { target: { value: 'z9' } });
    await fireEvent.click(screen.getByTestId('account-add'));
    await waitFor(() => expect(text('cameras-error')).toBe('Could not add the camera z9: a camera account named z9 exists already'));
  });

  it('revokes an account only after the question, and says its photos stay', async () => {
    const { backend } = setup({ status: ftpStatus({ accounts: [cameraAccount('z9', { received: 40 }), cameraAccount('r6')] }) });
    await loaded();
    await fireEvent.click(screen.getByTestId('revoke-z9'));
    const question = screen.getByTestId('revoke-confirm');
    expect(question.textContent).toContain('Revoke the camera account z9?');
    expect(question.textContent).toContain('The camera can no longer send; its photos stay.');
    await fireEvent.click(screen.getByTestId('revoke-confirm-cancel'));
    expect(screen.queryByTestId('revoke-confirm')).toBeNull();
    expect(sent(backend, 'remove_camera_account')).toHaveLength(0);

    await fireEvent.click(screen.getByTestId('revoke-z9'));
    await fireEvent.click(screen.getByTestId('revoke-confirm-ok'));
    await waitFor(() => expect(screen.queryByTestId('account-z9')).toBeNull());
    expect(sent(backend, 'remove_camera_account')).toStrictEqual([{ cmd: 'remove_camera_account', args: { name: 'z9' } }]);
    expect(screen.getByTestId('account-r6')).toBeTruthy();
    expect(text('cameras-notice')).toBe('Revoked z9: that camera can no longer send. Its photos stay.');
  });

  it('closes with the close button', async () => {
    const { onClose } = setup();
    await loaded();
    await fireEvent.click(screen.getByTestId('cameras-close'));
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});

describe('camera form rules', () => {
  it('accepts the id rule and nothing else', () => {
    expect(accountNameProblem('nikon-z9')).toBeNull();
    expect(accountNameProblem('A_b-9')).toBeNull();
    expect(accountNameProblem('x'.repeat(64))).toBeNull();
    expect(accountNameProblem('x'.repeat(65))).not.toBeNull();
    expect(accountNameProblem('')).toBe('Type a name for the camera first.');
    for (const bad of ['a b', '../x', 'ä', 'a.b', 'a/b']) expect(accountNameProblem(bad)).not.toBeNull();
  });

  it('turns the form into settings: empty folder and event are the defaults', () => {
    expect(settingsOf(formOf(ftpSettings()))).toStrictEqual(ftpSettings());
    expect(settingsOf({ ...formOf(ftpSettings()), port: '50050' })).toBe(
      'The port 50050 is inside the passive range 50000-50100: pick another.',
    );
    expect(settingsOf({ ...formOf(ftpSettings()), port: '21x' })).toBe('The port must be a number from 1 to 65535, not “21x”.');
  });
});
