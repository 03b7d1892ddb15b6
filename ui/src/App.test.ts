import { emit } from '@tauri-apps/api/event';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import type { EngineNotice } from './lib/bindings/EngineNotice';
import type { ImportReport } from './lib/bindings/ImportReport';
import {
  activity,
  commands,
  event,
  fakeShell,
  participant,
  queueStats,
  report,
  stats,
  syncSettings,
  tile,
  tiles,
} from './tests/fixtures';

const EMPTY_TEXT = 'Choose the folder your camera or card reader writes to, or drop photos here.';

function renderApp() {
  return render(App, { props: { refreshIntervalMs: 0, firstPaintWaitMs: 0 } });
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

  it('shows the catalog as a grid of tiles with their state', async () => {
    fakeShell({
      stats: stats(4, 1, 2),
      tiles: [
        tile(1),
        tile(2, { people: ['Ana', 'Ben'], matching: 'done', push: 'done' }),
        tile(3, { status: 'failed', thumb: 'failed', error: 'The file ends early: the card was removed while writing.' }),
        tile(4, { thumb: 'none', preview_error: 'HEIC previews are not supported yet' }),
      ],
    });
    renderApp();
    await photoCount('4');
    expect(screen.getByTestId('failed-count').textContent).toBe('1');
    expect(screen.getByTestId('queue-pending').textContent).toBe('2');
    await waitFor(() => expect(screen.getAllByTestId('tile')).toHaveLength(4));
    const byId = (id: number) => screen.getAllByTestId('tile').find((t) => t.dataset.id === String(id)) as HTMLElement;
    // Newest capture first.
    expect(screen.getAllByTestId('tile').map((t) => t.dataset.id)).toEqual(['4', '3', '2', '1']);
    const img = byId(1).querySelector('img') as HTMLImageElement;
    expect(img.getAttribute('src')).toBe(`thumb://localhost/${tile(1).sha256}/thumb`);
    expect(img.getAttribute('loading')).toBe('eager'); // in view; the overscan rows are lazy
    expect(img.getAttribute('decoding')).toBe('async');
    expect(within(byId(2)).getByTestId('badge-people').textContent).toBe('2 people');
    expect(within(byId(2)).getByTestId('badge-pushed')).toBeTruthy();
    expect(byId(3).getAttribute('title')).toContain('The file ends early');
    expect(within(byId(3)).getByTestId('badge-failed')).toBeTruthy();
    expect(byId(3).querySelector('img')).toBeNull();
    expect(within(byId(4)).getByTestId('no-preview').textContent).toContain('HEIC previews are not supported yet');
    expect(screen.queryByTestId('empty-state')).toBeNull();
  });

  it('opens the detail view on click and with Enter, moves with arrows, closes with Esc', async () => {
    fakeShell({ stats: stats(3), tiles: tiles(3) });
    renderApp();
    await waitFor(() => expect(screen.getAllByTestId('tile')).toHaveLength(3));
    const grid = screen.getByTestId('gallery');
    await fireEvent.click(screen.getAllByTestId('tile')[1] as HTMLElement);
    let detail = await screen.findByTestId('photo-detail');
    expect(detail.dataset.id).toBe('2');
    expect((await within(detail).findByTestId('detail-path')).textContent).toBe('/shoot/card/DSC_0002.JPG');
    expect(within(detail).getByTestId('detail-preview').getAttribute('src')).toBe(`thumb://localhost/${tile(2).sha256}/preview`);
    await fireEvent.keyDown(detail, { key: 'ArrowRight' });
    await waitFor(() => expect(screen.getByTestId('photo-detail').dataset.id).toBe('1'));
    await fireEvent.keyDown(screen.getByTestId('photo-detail'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('photo-detail')).toBeNull());

    await fireEvent.keyDown(grid, { key: 'Home' });
    expect(screen.getAllByTestId('tile')[0]?.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(grid, { key: 'ArrowRight' });
    expect(screen.getAllByTestId('tile')[1]?.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(grid, { key: 'Enter' });
    detail = await screen.findByTestId('photo-detail');
    expect(detail.dataset.id).toBe('2');
  });

  it('picks photos with Ctrl-click, Shift-click and Ctrl-A, and adds them to or removes them from an event', async () => {
    const shell = fakeShell({
      stats: stats(5),
      tiles: tiles(5),
      matching: {
        events: [event('wedding', { name: 'Smith wedding', active: true }), event('gala', { name: 'Gala' })],
        participants: {},
      },
    });
    renderApp();
    await waitFor(() => expect(screen.getAllByTestId('tile')).toHaveLength(5));
    const at = (i: number) => screen.getAllByTestId('tile')[i] as HTMLElement;
    const sha = (i: number) => tile(Number(at(i).dataset.id)).sha256;
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    await fireEvent.click(at(0), { ctrlKey: true });
    await fireEvent.click(at(3), { ctrlKey: true });
    // Picking opens nothing; the tiles say they are picked.
    expect(screen.queryByTestId('photo-detail')).toBeNull();
    expect(screen.getByTestId('selection-count').textContent).toBe('2 selected');
    expect(at(3).dataset.selected).toBe('true');
    expect(at(1).dataset.selected).toBe('false');
    const choice = (await screen.findByTestId('selection-event')) as HTMLSelectElement;
    await waitFor(() => expect(choice.selectedOptions[0]?.textContent).toBe('Smith wedding'));
    await fireEvent.change(choice, { target: { value: 'gala' } });
    await fireEvent.click(screen.getByTestId('selection-add'));
    await waitFor(() => expect(commands(shell, 'assign_photos')).toHaveLength(1));
    expect(commands(shell, 'assign_photos')[0]?.args).toEqual({ event: 'gala', photos: [sha(0), sha(3)] });
    await waitFor(() => expect(screen.queryByTestId('selection-bar')).toBeNull());
    expect(await screen.findByText('2 photos added to Gala')).toBeTruthy();

    // A range from the last picked tile, then everything loaded.
    await fireEvent.click(at(1), { ctrlKey: true });
    await fireEvent.click(at(3), { shiftKey: true });
    expect(screen.getByTestId('selection-count').textContent).toBe('3 selected');
    await fireEvent.keyDown(screen.getByTestId('gallery'), { key: 'a', ctrlKey: true });
    expect(screen.getByTestId('selection-count').textContent).toBe('5 selected');
    await fireEvent.click(screen.getByTestId('selection-remove'));
    await waitFor(() => expect(commands(shell, 'unassign_photos')).toHaveLength(1));
    // The bar remembers the event last chosen.
    expect(commands(shell, 'unassign_photos')[0]?.args).toMatchObject({ event: 'gala' });
    expect((commands(shell, 'unassign_photos')[0]?.args.photos as string[]).length).toBe(5);
    expect(await screen.findByText(/5 photos removed from Gala: their faces and matches there are deleted/)).toBeTruthy();

    // Unpublish one photo from the event's server, then publish it again.
    await fireEvent.click(at(2), { ctrlKey: true });
    await fireEvent.click(screen.getByTestId('selection-unpublish'));
    await waitFor(() => expect(commands(shell, 'set_published')).toHaveLength(1));
    expect(commands(shell, 'set_published')[0]?.args).toEqual({ event: 'gala', photos: [sha(2)], published: false });
    expect(await screen.findByText("1 photo unpublished from Gala's server")).toBeTruthy();
    await fireEvent.click(at(2), { ctrlKey: true });
    await fireEvent.click(screen.getByTestId('selection-publish'));
    await waitFor(() => expect(commands(shell, 'set_published')).toHaveLength(2));
    expect(commands(shell, 'set_published')[1]?.args).toMatchObject({ published: true });

    // The same from the keyboard: U unpublishes, Shift+U publishes again.
    await fireEvent.click(at(4), { ctrlKey: true });
    await fireEvent.keyDown(screen.getByTestId('gallery'), { key: 'u' });
    await waitFor(() => expect(commands(shell, 'set_published')).toHaveLength(3));
    expect(commands(shell, 'set_published')[2]?.args).toEqual({ event: 'gala', photos: [sha(4)], published: false });
    await fireEvent.click(at(4), { ctrlKey: true });
    await fireEvent.keyDown(screen.getByTestId('gallery'), { key: 'U', shiftKey: true });
    await waitFor(() => expect(commands(shell, 'set_published')).toHaveLength(4));
    expect(commands(shell, 'set_published')[3]?.args).toEqual({ event: 'gala', photos: [sha(4)], published: true });
    // Without a selection the key does nothing.
    await waitFor(() => expect(screen.queryByTestId('selection-bar')).toBeNull());
    await fireEvent.keyDown(screen.getByTestId('gallery'), { key: 'u' });
    expect(commands(shell, 'set_published')).toHaveLength(4);
  });

  it('reloads the tiles with the chosen filter and says when nothing matches', async () => {
    const shell = fakeShell({ stats: stats(2), tiles: [tile(1), tile(2, { push: 'done' })] });
    renderApp();
    await waitFor(() => expect(screen.getAllByTestId('tile')).toHaveLength(2));
    await fireEvent.click(screen.getByTestId('filter-not_pushed'));
    await waitFor(() => expect(screen.getAllByTestId('tile').map((t) => t.dataset.id)).toEqual(['1']));
    expect(commands(shell, 'tiles').at(-1)?.args).toMatchObject({ query: { filter: { kind: 'not_pushed' }, after: null } });
    await fireEvent.click(screen.getByTestId('filter-failed'));
    expect((await screen.findByTestId('gallery-empty')).textContent).toContain('No photos match this filter.');
    expect((screen.getByTestId('filter-participant') as HTMLSelectElement).disabled).toBe(true);
    await fireEvent.change(screen.getByTestId('sort-select'), { target: { value: 'imported' } });
    await waitFor(() => expect(commands(shell, 'tiles').at(-1)?.args).toMatchObject({ query: { sort: 'imported' } }));
  });

  it('shows queue progress and the activity panel', async () => {
    fakeShell({
      activity: activity({
        queues: [
          { kind: 'thumbnail', stats: queueStats({ total_enqueued: 500, total_processed: 120, pending: 378, running: 2, workers_active: 2 }), workers: 2, paused: null },
          { kind: 'push', stats: queueStats({ total_enqueued: 3, failed: 1 }), workers: 0, paused: 'No event server is set up.' },
        ],
        cache: { files: 120, bytes: 3_400_000, limit_bytes: 5_000_000_000, hits: 30, misses: 10, renders: 10 },
      }),
    });
    renderApp();
    const bar = await screen.findByTestId('progress-thumbnail');
    expect(bar.textContent).toContain('Thumbnails 0 of 380');
    const panel = screen.getByTestId('activity-panel');
    expect(within(panel).getByTestId('queue-thumbnail').textContent).toContain('500');
    expect(within(panel).getByTestId('queue-push').textContent).toContain('No event server is set up.');
    expect(within(panel).getByTestId('cache-hit-rate').textContent).toBe('75%');
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
        { path: '/media/card/DCIM', poll: true, event: { kind: 'active' } },
      ]),
    );
    const item = await screen.findByTestId('watched-folder');
    expect(item.textContent).toContain('/media/card/DCIM');
    expect(item.textContent).toContain('online');
    expect(item.textContent).toContain('poll');
    expect(screen.queryByTestId('empty-state')).toBeNull();
    expect((screen.getByTestId('folder-path-input') as HTMLInputElement).value).toBe('');
  });

  it('says which event a watched folder\'s photos join, and lets the photographer choose', async () => {
    const shell = fakeShell({
      matching: {
        events: [event('wedding', { name: 'Smith wedding', active: true }), event('gala', { name: 'Gala' })],
        participants: {},
      },
    });
    renderApp();
    await screen.findByTestId('empty-state');
    const choice = screen.getByTestId('folder-event-choice') as HTMLSelectElement;
    await waitFor(() => expect(choice.options[0]?.textContent).toBe('Smith wedding (the active event)'));
    expect([...choice.options].map((o) => o.textContent)).toEqual([
      'Smith wedding (the active event)',
      'Gala',
      'No event: just catalogue',
    ]);
    await fireEvent.change(choice, { target: { value: 'none' } });
    await fireEvent.input(screen.getByTestId('folder-path-input'), { target: { value: '/home/me/Pictures' } });
    await fireEvent.click(screen.getByTestId('watch-folder-button'));
    await fireEvent.change(choice, { target: { value: 'event:gala' } });
    await fireEvent.input(screen.getByTestId('folder-path-input'), { target: { value: '/tether' } });
    await fireEvent.click(screen.getByTestId('watch-folder-button'));
    await waitFor(() => expect(commands(shell, 'add_watched_folder')).toHaveLength(2));
    expect(commands(shell, 'add_watched_folder').map((c) => c.args.event)).toEqual([
      { kind: 'none' },
      { kind: 'event', id: 'gala' },
    ]);
    await waitFor(() => expect(screen.getAllByTestId('watched-folder')).toHaveLength(2));
    expect(screen.getAllByTestId('folder-event').map((b) => b.textContent?.trim())).toEqual(['no event', 'Gala']);
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
    const shell = fakeShell({ folders: [{ path: '/mnt/share', poll: true, online: false, event: null }] });
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
        { paths: ['/Users/me/shoot', '/Users/me/extra.jpg'], event: { kind: 'active' } },
      ]),
    );
    expect(screen.queryByTestId('drop-overlay')).toBeNull();
    await waitFor(() =>
      expect(screen.getAllByTestId('toast').map((t) => t.textContent)).toContainEqual(
        expect.stringContaining('12 imported, 3 duplicates, 1 failed'),
      ),
    );
    // Nothing joined an event: nothing to undo.
    expect(screen.queryByTestId('toast-action')).toBeNull();
  });

  it('says how many dropped photos joined the active event, with an Undo that takes them out again', async () => {
    const shell = fakeShell({
      importReport: report({ scanned: 2, imported: 2, event: 'wedding', joined: 2, joined_photos: ['aa', 'bb'] }),
    });
    renderApp();
    await screen.findByTestId('empty-state');
    await waitFor(() => expect(shell.calls.length).toBeGreaterThan(0));
    await emit('tauri://drag-drop', { paths: ['/Users/me/shoot'], position: { x: 10, y: 10 } });
    const toast = await waitFor(() => {
      const found = screen.getAllByTestId('toast').find((t) => t.textContent?.includes('2 photos added to wedding'));
      expect(found).toBeTruthy();
      return found as HTMLElement;
    });
    await fireEvent.click(within(toast).getByTestId('toast-action'));
    await waitFor(() => expect(commands(shell, 'unassign_photos')).toHaveLength(1));
    expect(commands(shell, 'unassign_photos')[0]?.args).toEqual({ event: 'wedding', photos: ['aa', 'bb'] });
    expect(await screen.findByText(/2 photos removed from wedding/)).toBeTruthy();
  });

  it('merges live changes when the engine reports them, and shows import progress', async () => {
    const shell = fakeShell();
    renderApp();
    await screen.findByTestId('empty-state');

    await emit('notices', [{ type: 'import_progress', done: 2, total: 5 }] satisfies EngineNotice[]);
    expect((await screen.findByTestId('import-progress')).textContent).toContain('Importing 2 of 5');

    shell.stats = stats(2);
    shell.tiles = [tile(1), tile(2)];
    shell.changes = [{ changed: [tile(1), tile(2)], removed: [], seq: 9, more: false }];
    await emit('notices', [{ type: 'import_progress', done: 5, total: 5 }, { type: 'photos_changed' }] satisfies EngineNotice[]);
    await photoCount('2');
    await waitFor(() => expect(screen.getAllByTestId('tile')).toHaveLength(2));
    expect(commands(shell, 'tile_changes').map((c) => c.args)).toEqual([{ since: 1 }]);
    expect(screen.queryByTestId('import-progress')).toBeNull();
    expect(screen.queryByTestId('empty-state')).toBeNull();

    shell.changes = [{ changed: [tile(3)], removed: [1], seq: 10, more: false }];
    await emit('notices', [{ type: 'photos_changed' }] satisfies EngineNotice[]);
    await waitFor(() => expect(screen.getAllByTestId('tile').map((t) => t.dataset.id)).toEqual(['3', '2']));
    expect(commands(shell, 'tile_changes').at(-1)?.args).toEqual({ since: 9 });
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
      {
        sources: ['/media/EOS_DIGITAL'],
        destination: '/photos/2026-06-01',
        backup: '/backup/2026-06-01',
        event: { kind: 'active' },
      },
    ]);
  });

  it('closes the card import with Esc, except while it copies, and gives the focus back', async () => {
    let finish: (r: ImportReport) => void = () => {};
    fakeShell({ importReport: new Promise<ImportReport>((resolve) => (finish = resolve)) });
    renderApp();
    await screen.findByTestId('empty-state');
    const open = screen.getByRole('button', { name: 'Import from card…' });
    open.focus();
    await fireEvent.click(open);
    await fireEvent.keyDown(screen.getByRole('dialog', { name: 'Import from card' }), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(open);

    await fireEvent.click(open);
    const dialog = screen.getByRole('dialog', { name: 'Import from card' });
    await fireEvent.input(within(dialog).getByLabelText('Card folder(s), one per line'), { target: { value: '/media/card' } });
    await fireEvent.input(within(dialog).getByLabelText('Copy into (library)'), { target: { value: '/photos' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Copy and verify' }));
    await within(dialog).findByRole('button', { name: 'Copying and verifying…' });
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.getByRole('dialog', { name: 'Import from card' })).toBe(dialog); // the copy goes on, in view

    finish(report({ imported: 2 }));
    await fireEvent.keyDown(await within(dialog).findByRole('button', { name: 'Done' }), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(open);
  });

  it('opens the events panel from the header, uses an event, refreshes the participant filter, closes with Esc', async () => {
    const shell = fakeShell({
      matching: {
        events: [event('wedding', { name: 'Wedding', active: true }), event('gala', { name: 'Gala' })],
        participants: { wedding: [participant('anna', { name: 'Anna K' })], gala: [participant('carl', { name: 'Carl' })] },
      },
    });
    renderApp();
    const filter = screen.getByTestId('filter-participant') as HTMLSelectElement;
    await waitFor(() => expect(within(filter).getAllByRole('option').map((o) => o.textContent)).toEqual(['Anyone', 'Anna K']));
    // Read at start: the folder and card forms name the events photos can join.
    await waitFor(() => expect(commands(shell, 'events').length).toBeGreaterThan(0));

    const open = screen.getByTestId('open-events');
    open.focus();
    await fireEvent.click(open);
    const panel = await screen.findByRole('dialog', { name: 'Events' });
    expect(open.getAttribute('aria-expanded')).toBe('true');
    await waitFor(() => expect(within(panel).getAllByTestId('event-row')).toHaveLength(2));
    await fireEvent.click(within(panel).getByRole('button', { name: 'Use Gala' }));
    await waitFor(() => expect(within(filter).getAllByRole('option').map((o) => o.textContent)).toEqual(['Anyone', 'Carl']));
    expect(commands(shell, 'use_event').map((c) => c.args)).toEqual([{ id: 'gala' }]);
    expect(within(panel).getByText('Participants of Gala')).toBeTruthy();

    await fireEvent.keyDown(panel, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('events-panel')).toBeNull());
    expect(document.activeElement).toBe(open);
    expect(open.getAttribute('aria-expanded')).toBe('false');
  });

  it('takes a selfie, or a folder of selfies, dropped while the events panel is open', async () => {
    const shell = fakeShell({
      matching: { events: [event('wedding', { name: 'Wedding', active: true })], participants: { wedding: [] } },
    });
    renderApp();
    await fireEvent.click(screen.getByTestId('open-events'));
    const panel = await screen.findByRole('dialog', { name: 'Events' });
    await within(panel).findByTestId('participant-form');
    const position = { x: 10, y: 10 };
    await emit('tauri://drag-enter', { paths: ['/Users/me/anna.jpg'], position });
    expect((await screen.findByTestId('drop-overlay')).textContent).toContain('Drop a selfie');
    await emit('tauri://drag-drop', { paths: ['/Users/me/anna.jpg'], position });
    await waitFor(() => expect(within(panel).getByTestId('participant-selfie').textContent?.trim()).toBe('anna.jpg'));
    await emit('tauri://drag-drop', { paths: ['/Users/me/guests'], position });
    await waitFor(() => expect(commands(shell, 'import_participants')).toHaveLength(1));
    expect(commands(shell, 'import_participants')[0]?.args).toEqual({ event: 'wedding', dir: '/Users/me/guests', names: null });
    // Nothing dropped on the panel was imported into the catalog.
    expect(commands(shell, 'import_paths')).toHaveLength(0);
  });

  it('opens the event server settings from the header and closes them with Esc', async () => {
    const shell = fakeShell({ sync: syncSettings({ source: 'environment' }) });
    renderApp();
    await photoCount('0');
    expect(commands(shell, 'sync_settings')).toHaveLength(0); // nothing asked until the panel opens

    const open = screen.getByRole('button', { name: 'Event server…' });
    open.focus();
    await fireEvent.click(open);
    const panel = await screen.findByRole('dialog', { name: 'Event server' });
    expect(open.getAttribute('aria-expanded')).toBe('true');
    await waitFor(() => expect(within(panel).getByTestId('sync-env-note')).toBeTruthy());
    expect(commands(shell, 'sync_settings')).toHaveLength(1);

    await fireEvent.keyDown(panel, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('sync-panel')).toBeNull());
    expect(document.activeElement).toBe(open);
    expect(open.getAttribute('aria-expanded')).toBe('false');
  });
});
