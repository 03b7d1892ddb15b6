// Performance marks the timing benchmark reads (tests/e2e/bench-gallery.js).

const marked = new Set<string>();
let painted: () => void = () => {};
const firstThumb = new Promise<void>((resolve) => (painted = resolve));

/** `performance.mark(name)` once per page load. */
export function markOnce(name: string): void {
  if (marked.has(name)) return;
  marked.add(name);
  if (name === 'first-thumb') painted();
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(name);
}

/** Resolves when the first thumbnail in the viewport has been painted. */
export function firstThumbPainted(): Promise<void> {
  return firstThumb;
}

/** A thumbnail finished loading: the first one inside the viewport marks 'first-thumb'. */
export function thumbLoaded(img: HTMLImageElement): void {
  if (marked.has('first-thumb') || img.naturalWidth === 0) return;
  const r = img.getBoundingClientRect();
  if (r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth) markOnce('first-thumb');
}
