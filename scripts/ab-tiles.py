"""A/B of the gallery's tile query (crates/catalog/src/gallery.rs) on two
catalogs, interleaved query by query so machine noise hits both alike:
  FINDME_BENCH_KEEP=/tmp/a.sqlite cargo bench --bench gallery   # a 100,000-photo catalog
  cp /tmp/a.sqlite /tmp/b.sqlite && sqlite3 /tmp/b.sqlite 'CREATE INDEX ...'
  python3 scripts/ab-tiles.py /tmp/a.sqlite /tmp/b.sqlite"""
import re, sqlite3, sys, time
src = open('crates/catalog/src/gallery.rs').read()
cols = re.search(r'const TILE_COLUMNS: &str = "(.*?)";', src, re.S).group(1)
dbs = [sqlite3.connect(p) for p in sys.argv[1:3]]
keys = list(dbs[0].execute("SELECT taken_ms, id FROM photos ORDER BY taken_ms, id"))
q = f"SELECT {cols} FROM photos p WHERE 1 AND (p.taken_ms, p.id) > (?, ?) ORDER BY p.taken_ms, p.id LIMIT 200"
times = [[], []]
for i in range(1000):
    k = keys[(i * 7919) % len(keys)]
    for db, ts in zip(dbs, times):
        t = time.perf_counter(); db.execute(q, k).fetchall(); ts.append(time.perf_counter() - t)
for path, ts in zip(sys.argv[1:3], times):
    ts.sort(); print(f"{path}: p50 {ts[500]*1000:.2f} ms, p99 {ts[990]*1000:.2f} ms")
