import { emit } from '@tauri-apps/api/event';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import type { EngineEvent } from './lib/bindings/EngineEvent';
import { commands, fakeShell, photo, report, stats } from './tests/fixtures';

const EMPTY_TEXT = 'Choose the folder your camera or card reader writes to, or drop photos here.';

function renderApp() {
  return render(App, { props: { refreshIntervalMs: 0 } });
}

async function photoCount(expected: string) {
  await waitFor(() => expect(screen.getByTestId('photo-count').textContent).toBe(expected));
}

describe('App', () => {
  it('shows the first-run state when nothing is catalogued or watched', async () => {
    fakeShell();
    renderApp();
    expect(await screen.findByTestId('empty-state')).toHaveProperty('textContent', expect.stringContaining(EMPTY_TEXT));
    expect(screen.getByTestId('photo-count').textContent).toBe('0');
    expect(screen.queryByTestId('photo-row')).toBeNull();
  });

  it('shows the catalog: count, rows, failures in words', async () => {
    fakeShell({
      stats: stats(3, 1, 2),
      photos: [
        photo(1),
        photo(2, { paths: ['/shoot/IMG_0002.JPG', '/backup/IMG_0002.JPG'] }),
        photo(3, { status: 'failed', error: 'The file ends early: the card was removed while writing.' }),
      ],
    });
    renderApp();
    await photoCount('3');
    expect(screen.getByTestId('failed-count').textContent).toBe('1');
    expect(screen.getByTestId('queue-pending').textContent).toBe('2');
    const rows = screen.getAllByTestId('photo-row');
    expect(rows).toHaveLength(3);
    expect(rows[0]?.textContent).toContain('DSC_0001.JPG');
    expect(rows[0]?.textContent).toContain('Canon EOS 30D');
    expect(rows[0]?.textContent).toContain('4.2 MB');
    expect(rows[1]?.textContent).toContain('IMG_0002.JPG');
    expect(rows[2]?.textContent).toContain('The file ends early');
    expect(screen.queryByTestId('empty-state')).toBeNull();
  });

  it('watches a pasted folder path', async () => {
    const shell = fakeShell();
    renderApp();
    await screen.findByTestId('empty-state');
    await fireEvent.input(screen.getByTestId('folder-path-input'), { target: { value: '/media/card/DCIM' } });
    await fireEvent.click(screen.getByLabelText('Poll (network/removable drives)'));
    await fireEvent.click(screen.getByTestId('watch-folder-button'));
    await waitFor(() =>
      expect(commands(shell, 'add_watched_folder').map((c) => c.args)).toEqual([
        { path: '/media/card/DCIM', poll: true },
      ]),
    );
    const item = await screen.findByTestId('watched-folder');
    expect(item.textContent).toContain('/media/card/DCIM');
    expect(item.textContent).toContain('online');
    expect(item.textContent).toContain('poll');
    expect(screen.queryByTestId('empty-state')).toBeNull();
    expect((screen.getByTestId('folder-path-input') as HTMLInputElement).value).toBe('');
  });

  it('watches folders chosen in the native picker', async () => {
    const shell = fakeShell({ picked: ['/mnt/a', '/mnt/b'] });
    renderApp();
    const empty = await screen.findByTestId('empty-state');
    await fireEvent.click(within(empty).getByRole('button', { name: 'Watch a folder…' }));
    await waitFor(() => expect(commands(shell, 'add_watched_folder')).toHaveLength(2));
    const dialog = commands(shell, 'plugin:dialog|open')[0]?.args as { options: Record<string, unknown> };
    expect(dialog.options).toMatchObject({ directory: true, multiple: true });
    expect(commands(shell, 'add_watched_folder').map((c) => c.args.path)).toEqual(['/mnt/a', '/mnt/b']);
  });

  it('removes a watched folder', async () => {
    const shell = fakeShell({ folders: [{ path: '/mnt/share', poll: true, online: false }] });
    renderApp();
    const item = await screen.findByTestId('watched-folder');
    expect(item.textContent).toContain('offline');
    await fireEvent.click(within(item).getByRole('button', { name: 'Stop watching /mnt/share' }));
    await waitFor(() => expect(screen.queryByTestId('watched-folder')).toBeNull());
    expect(commands(shell, 'remove_watched_folder').map((c) => c.args)).toEqual([{ path: '/mnt/share' }]);
  });

  it('imports what is dropped on the window', async () => {
    const shell = fakeShell({ importReport: report({ scanned: 16, imported: 12, duplicates: 3, failed: 1 }) });
    renderApp();
    await screen.findByTestId('empty-state');
    await waitFor(() => expect(shell.calls.length).toBeGreaterThan(0));

    const position = { x: 10, y: 10 };
    await emit('tauri://drag-enter', { paths: ['/Users/me/shoot'], position });
    expect(await screen.findByTestId('drop-overlay')).toHaveProperty('textContent', expect.stringContaining('Drop to import'));
    await emit('tauri://drag-leave', null);
    await waitFor(() => expect(screen.queryByTestId('drop-overlay')).toBeNull());

    await emit('tauri://drag-enter', { paths: ['/Users/me/shoot'], position });
    await emit('tauri://drag-drop', { paths: ['/Users/me/shoot', '/Users/me/extra.jpg'], position });
    await waitFor(() =>
      expect(commands(shell, 'import_paths').map((c) => c.args)).toEqual([
        { paths: ['/Users/me/shoot', '/Users/me/extra.jpg'] },
      ]),
    );
    expect(screen.queryByTestId('drop-overlay')).toBeNull();
    await waitFor(() =>
      expect(screen.getAllByTestId('toast').map((t) => t.textContent)).toContainEqual(
        expect.stringContaining('12 imported, 3 duplicates, 1 failed'),
      ),
    );
  });

  it('re-reads the catalog when the engine reports changes, and shows progress', async () => {
    const shell = fakeShell();
    renderApp();
    await screen.findByTestId('empty-state');

    await emit('engine', [{ type: 'import_progress', done: 2, total: 5 }] satisfies EngineEvent[]);
    expect((await screen.findByTestId('import-progress')).textContent).toContain('Importing 2 of 5');

    shell.stats = stats(2);
    shell.photos = [photo(1), photo(2)];
    await emit('engine', [{ type: 'import_progress', done: 5, total: 5 }, { type: 'photos_changed' }] satisfies EngineEvent[]);
    await photoCount('2');
    expect(screen.getAllByTestId('photo-row')).toHaveLength(2);
    expect(screen.queryByTestId('import-progress')).toBeNull();
    expect(screen.queryByTestId('empty-state')).toBeNull();
  });

  it('copies a card and says whether it is safe to format', async () => {
    const shell = fakeShell({
      importReport: report({
        imported: 410,
        card: {
          destination: '/photos/2026-06-01',
          backup: '/backup/2026-06-01',
          copied: 410,
          already_present: 0,
          not_copied: [{ path: '/media/EOS_DIGITAL/DCIM/100CANON/MVI_0001.MOV', reason: 'Videos are not copied' }],
          safe_to_format: false,
          verdict: 'Do not format: 1 file on the card is not copied.',
        },
      }),
    });
    renderApp();
    await screen.findByTestId('empty-state');
    await fireEvent.click(screen.getByRole('button', { name: 'Import from card…' }));
    const dialog = screen.getByRole('dialog');
    const copy = within(dialog).getByRole('button', { name: 'Copy and verify' });
    expect(copy).toHaveProperty('disabled', true);
    await fireEvent.input(within(dialog).getByLabelText('Card folder(s), one per line'), {
      target: { value: '/media/EOS_DIGITAL\n' },
    });
    await fireEvent.input(within(dialog).getByLabelText('Copy into (library)'), { target: { value: '/photos/2026-06-01' } });
    await fireEvent.input(within(dialog).getByLabelText('Backup copy (optional, another drive)'), {
      target: { value: '/backup/2026-06-01' },
    });
    await fireEvent.click(copy);

    const verdict = await screen.findByTestId('card-verdict');
    expect(verdict.textContent).toContain('Do not format yet');
    expect(verdict.textContent).toContain('Do not format: 1 file on the card is not copied.');
    expect(screen.getByTestId('not-copied').textContent).toContain('MVI_0001.MOV');
    expect(commands(shell, 'import_card').map((c) => c.args)).toEqual([
      { sources: ['/media/EOS_DIGITAL'], destination: '/photos/2026-06-01', backup: '/backup/2026-06-01' },
    ]);
  });
});
