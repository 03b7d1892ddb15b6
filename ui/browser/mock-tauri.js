// A fake Tauri shell for the built UI in a plain browser: `window.__TAURI_INTERNALS__`
// answering the app's commands from a generated catalog of `config.count` tiles, the
// event plugin (tests emit "notices" batches with `window.__fake.emit`), and thumb URLs
// pointing at the test server. Injected with page.addInitScript(installFakeShell, config),
// so it must be self-contained (it is serialized to the page as source).

/**
 * `holdPages`: every page after a view's first waits until the test calls
 * `window.__fake.releasePages()`, so a test can look at the grid between the first
 * page and the rest without racing the background loader.
 * `tiles`: the catalog to answer from instead of the generated one (each tile with
 * its `facts`, as in filter-cases.json).
 *
 * Each tile carries `facts`, what the catalog knows and a tile does not show
 * (event membership, the thumbnail job, who was found); `fits` filters on them as
 * the catalog's SQL does, and filter-cases.test.js holds it to the engine's own
 * answers (crates/engine/src/gallery_filter_cases.rs). `facts` never leaves the fake.
 * @param {{ count: number, thumbBase: string, pageDelayMs?: number, holdPages?: boolean, tiles?: object[] }} config
 */
export function installFakeShell(config) {
  const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
  const hex = (id) => id.toString(16).padStart(64, '0');
  const NAMES = ['Ana', 'Ben', 'Chloé', 'Dara', 'Emil'];

  function makeTile(id) {
    const failed = id % 97 === 0;
    const heic = !failed && id % 89 === 0;
    const people = id % 5 === 0 ? NAMES.slice(0, 1 + (id % 3)) : [];
    return {
      id,
      sha256: hex(id),
      // Roughly one photo a second, a few out of order (two cameras).
      taken_ms: T0 + id * 1000 + (id % 7 === 0 ? -3500 : 0),
      imported_ms: T0 + 86_400_000 + ((id * 7919) % config.count) * 10,
      width: 6000,
      height: 4000,
      name: heic ? `IMG_${id}.HEIC` : `DSC_${String(id).padStart(5, '0')}.JPG`,
      status: failed ? 'failed' : 'ok',
      error: failed ? 'The file ends early: the card was removed while it was being written.' : null,
      thumb: failed ? 'failed' : heic ? 'none' : 'ready',
      preview_error: heic ? 'HEIC previews need the HEIF decoder, which is not installed.' : null,
      matching: id % 5 === 0 ? 'done' : id % 11 === 0 ? 'pending' : null,
      people,
      push: id % 3 === 0 ? 'done' : null,
      change_seq: id,
      facts: {
        in_event: true,
        thumbnail_job: failed ? null : 'done',
        participant_ids: people.map((name) => `p${NAMES.indexOf(name)}`),
      },
    };
  }

  const all = new Map();
  if (config.tiles) for (const t of config.tiles) all.set(t.id, t);
  else for (let id = 1; id <= config.count; id++) all.set(id, makeTile(id));
  let seq = config.tiles ? Math.max(0, ...config.tiles.map((t) => t.change_seq)) : config.count;
  /** A tile as the engine sends it: without the fake's `facts`. */
  const wire = ({ facts: _facts, ...tile }) => tile;
  const pendingChanges = [];
  const calls = [];
  let releasePages;
  const pagesReleased = config.holdPages ? new Promise((resolve) => (releasePages = resolve)) : Promise.resolve();

  const keyOf = (t, sort) => (sort === 'imported' ? t.imported_ms : t.taken_ms);
  const cmp = (a, b, q) => {
    const c = keyOf(a, q.sort) - keyOf(b, q.sort) || a.id - b.id;
    return q.newest_first ? -c : c;
  };
  // The catalog's filter_sql (crates/catalog/src/gallery.rs), on a tile and its facts.
  const fits = (t, f) =>
    f.kind === 'all' ||
    (f.kind === 'failed' &&
      (t.status === 'failed' || t.facts.thumbnail_job === 'failed' || t.matching === 'failed' || t.push === 'failed')) ||
    (f.kind === 'unmatched' && t.facts.in_event && t.matching !== 'done') ||
    (f.kind === 'not_pushed' && t.facts.in_event && t.push !== 'done') ||
    (f.kind === 'participant' && t.facts.participant_ids.includes(f.id));

  let sortedCache = { key: '', list: [] };
  function sorted(q) {
    const key = `${q.sort}|${q.newest_first}|${JSON.stringify(q.filter)}|${seq}`;
    if (sortedCache.key !== key) {
      const list = [...all.values()].filter((t) => fits(t, q.filter)).sort((a, b) => cmp(a, b, q));
      sortedCache = { key, list };
    }
    return sortedCache.list;
  }

  function tilesPage(q) {
    const list = sorted(q);
    let start = 0;
    if (q.after) {
      const probe = { id: q.after.id, taken_ms: q.after.key, imported_ms: q.after.key };
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cmp(list[mid], probe, q) <= 0) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const limit = q.limit === 0 ? 500 : Math.min(q.limit, 2000);
    const tiles = list.slice(start, start + limit).map(wire);
    const last = tiles[tiles.length - 1];
    const next = start + limit < list.length && last ? { key: keyOf(last, q.sort), id: last.id } : null;
    // Like the engine: the count comes with a view's first page only.
    return { tiles, next, total: q.after ? null : list.length, seq };
  }

  function detail(id) {
    const tile = all.get(id);
    if (!tile) throw `No photo ${id}`;
    return {
      photo: {
        id,
        sha256: tile.sha256,
        paths: [`/media/card/DCIM/100CANON/${tile.name}`, `/photos/2026-06-01/${tile.name}`],
        captured_at: new Date(tile.taken_ms).toISOString(),
        camera: 'Canon EOS R6',
        camera_serial: '032021001234',
        lens: 'RF24-70mm F2.8 L IS USM',
        width: tile.width,
        height: tile.height,
        orientation: 1,
        format: tile.name.endsWith('HEIC') ? 'heif' : 'jpeg',
        size: 8_400_000 + id,
        status: tile.status,
        error: tile.error,
        group: null,
        imported_at: new Date(tile.imported_ms).toISOString(),
        thumbnail: null,
        preview: null,
      },
      tile: wire(tile),
      faces: tile.people.map((name, i) => ({
        box: { left: 0.1 + i * 0.25, top: 0.2, width: 0.15, height: 0.22 },
        participant: `p${i}`,
        name,
        confidence: 98.5,
      })),
    };
  }

  const q0 = { total_enqueued: 0, total_processed: 0, pending: 0, running: 0, failed: 0, workers_active: 0 };
  const activity = {
    queues: [
      { kind: 'thumbnail', stats: { ...q0, total_enqueued: config.count, total_processed: config.count }, workers: 2, paused: null },
      { kind: 'match', stats: { ...q0 }, workers: 0, paused: 'No participants yet.' },
    ],
    cache: { files: config.count, bytes: config.count * 28_000, limit_bytes: 5_000_000_000, hits: 900, misses: 100, renders: 100 },
    matcher: 'local',
  };

  const callbacks = new Map();
  const listeners = new Map();
  let nextCallback = 1;

  async function invoke(cmd, args) {
    calls.push({ cmd, args });
    switch (cmd) {
      case 'plugin:event|listen':
        if (!listeners.has(args.event)) listeners.set(args.event, []);
        listeners.get(args.event).push(args.handler);
        return args.handler;
      case 'plugin:event|unlisten':
        return null;
      case 'tiles':
        if (args.query.after) await pagesReleased;
        if (config.pageDelayMs) await new Promise((r) => setTimeout(r, config.pageDelayMs));
        return tilesPage(args.query);
      case 'tile_changes': {
        const changed = [];
        const removed = [];
        while (pendingChanges.length > 0) {
          const c = pendingChanges.shift();
          if (c.removed) removed.push(c.id);
          else changed.push(wire(c.tile));
        }
        return { changed, removed, seq, more: false };
      }
      case 'photo_detail':
        return detail(args.id);
      case 'activity':
        return activity;
      case 'stats':
        return {
          catalog: { photos: all.size, locations: all.size * 2, failed: [...all.values()].filter((t) => t.status === 'failed').length },
          queue: { ...q0 },
        };
      case 'watched_folders':
        return [{ path: '/media/card/DCIM', poll: false, online: true, event: null }];
      case 'failures':
      case 'participants':
        return [];
      case 'ftp_status':
        return {
          settings: { enabled: false, port: 2121, passive_first: 50000, passive_last: 50100, ftps: false, dir: null, event: null },
          running: false,
          error: null,
          port: null,
          addresses: ['192.168.1.20'],
          dir: '/photos',
          event: null,
          accounts: [],
        };
      default:
        throw `unexpected command ${cmd}`;
    }
  }

  window.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback(callback, once = false) {
      const id = nextCallback++;
      callbacks.set(id, (data) => {
        if (once) callbacks.delete(id);
        return callback && callback(data);
      });
      return id;
    },
    unregisterCallback: (id) => callbacks.delete(id),
    convertFileSrc: (path, protocol = 'asset') => `${config.thumbBase}/__${protocol}/${encodeURIComponent(path)}`,
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: (_event, id) => callbacks.delete(id) };

  window.__fake = {
    calls,
    tile: (id) => all.get(id),
    /** Lets the pages held back by `config.holdPages` go. */
    releasePages: () => releasePages?.(),
    /** Adds photos (as the engine would) and queues them for tile_changes. */
    add(tiles) {
      for (const t of tiles) {
        const base = makeTile(t.id);
        const tile = { ...base, ...t, facts: { ...base.facts, ...t.facts }, change_seq: ++seq };
        all.set(tile.id, tile);
        pendingChanges.push({ tile });
      }
    },
    remove(ids) {
      for (const id of ids) {
        all.delete(id);
        seq += 1;
        pendingChanges.push({ id, removed: true });
      }
    },
    makeTile,
    emit(event, payload) {
      for (const handler of listeners.get(event) ?? []) callbacks.get(handler)?.({ event, id: handler, payload });
    },
  };
}
