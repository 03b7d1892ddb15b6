// Modal dialogs keep the keyboard inside them. Open modals form a stack (a question
// asked over a panel is on top of it) and one document-level listener hands Tab and
// Esc to the topmost only: two nested modals never both act on a key, and the keys
// still work when the focused control was removed or disabled and focus fell to
// the page body.

const FOCUSABLE = [
  'a[href]',
  'button:not(:disabled)',
  'input:not(:disabled)',
  'select:not(:disabled)',
  'textarea:not(:disabled)',
  '[tabindex]:not([tabindex="-1"])',
].join(', ');

/**
 * Handles a Tab keydown for `dialog`; other keys are left alone. Tab from the last
 * control wraps to the first and Shift+Tab from the first (or the dialog itself) to
 * the last; from outside the dialog, Tab enters it at either end.
 */
function keepFocusInside(event: KeyboardEvent, dialog: HTMLElement): void {
  if (event.key !== 'Tab') return;
  const focusable = Array.from(dialog.querySelectorAll<HTMLElement>(FOCUSABLE));
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  const current = document.activeElement;
  if (!first || !last) {
    event.preventDefault(); // nothing to go to: stay on the dialog
    dialog.focus();
    return;
  }
  const outside = !(current instanceof Node) || !dialog.contains(current);
  if (event.shiftKey && (outside || current === first || current === dialog)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (outside || current === last)) {
    event.preventDefault();
    first.focus();
  }
}

interface OpenModal {
  dialog: HTMLElement;
  /** Asks the modal's owner to close it (Esc). */
  close: () => void;
  /** What had the focus before the modal opened. */
  opener: HTMLElement | null;
}

const stack: OpenModal[] = [];

function onDocumentKeydown(event: KeyboardEvent): void {
  const top = stack[stack.length - 1];
  // A control that used the key (arrows in the photo view, say) keeps it.
  if (!top || event.defaultPrevented) return;
  if (event.key === 'Escape') {
    event.preventDefault();
    event.stopPropagation();
    top.close();
  } else {
    keepFocusInside(event, top.dialog);
  }
}

/**
 * Makes `dialog` the topmost modal: Esc calls `close`, Tab stays inside, and the
 * focus moves into it (to its `[data-autofocus]` control, else the dialog itself,
 * which needs tabindex="-1"). Returns the function to call when it goes, which
 * gives the focus back to what had it before: that opener, or, when the opener is
 * gone or disabled, the modal below.
 */
export function openModal(dialog: HTMLElement, close: () => void): () => void {
  const active = document.activeElement;
  const opener = active instanceof HTMLElement && active !== document.body ? active : null;
  const entry: OpenModal = { dialog, close, opener };
  stack.push(entry);
  if (stack.length === 1) document.addEventListener('keydown', onDocumentKeydown);
  (dialog.querySelector<HTMLElement>('[data-autofocus]') ?? dialog).focus();

  return () => {
    const index = stack.indexOf(entry);
    if (index >= 0) stack.splice(index, 1);
    if (stack.length === 0) document.removeEventListener('keydown', onDocumentKeydown);
    // Someone already moved the focus on purpose (the grid after the photo view): keep it.
    const now = document.activeElement;
    if (now && now !== document.body && !dialog.contains(now)) return;
    entry.opener?.focus();
    if (entry.opener && document.activeElement === entry.opener) return;
    stack[stack.length - 1]?.dialog.focus();
  };
}
