// The one question dialog: confirm and cancel each call their callback (and only
// theirs), it starts on Cancel, and Esc cancels.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import ConfirmDialog from './ConfirmDialog.svelte';

const explanation = createRawSnippet(() => ({ render: () => '<p>Their matches are removed now.</p>' }));

function ask(props: { destructive?: boolean; onconfirm?: () => void; oncancel?: () => void } = {}) {
  const onconfirm = props.onconfirm ?? vi.fn();
  const oncancel = props.oncancel ?? vi.fn();
  render(ConfirmDialog, {
    props: {
      question: 'Remove Ben?',
      confirmLabel: 'Remove',
      destructive: props.destructive ?? true,
      onconfirm,
      oncancel,
      testId: 'question',
      confirmTestId: 'question-ok',
      cancelTestId: 'question-cancel',
      children: explanation,
    },
  });
  return { onconfirm, oncancel, dialog: screen.getByRole('alertdialog', { name: 'Remove Ben?' }) };
}

describe('ConfirmDialog', () => {
  it('asks as a modal alert dialog, described by its text, starting on Cancel', () => {
    const { dialog } = ask();
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.dataset.testid).toBe('question');
    const text = document.getElementById(dialog.getAttribute('aria-describedby') ?? '');
    expect(text?.textContent).toBe('Their matches are removed now.');
    expect(document.activeElement).toBe(screen.getByTestId('question-cancel'));
  });

  it('calls onconfirm, and only it, when confirmed', async () => {
    const { onconfirm, oncancel } = ask();
    await fireEvent.click(screen.getByRole('button', { name: 'Remove' }));
    expect(onconfirm).toHaveBeenCalledTimes(1);
    expect(oncancel).not.toHaveBeenCalled();
  });

  it('calls oncancel, and only it, on Cancel or Esc', async () => {
    const { onconfirm, oncancel, dialog } = ask();
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(oncancel).toHaveBeenCalledTimes(1);
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(oncancel).toHaveBeenCalledTimes(2);
    expect(onconfirm).not.toHaveBeenCalled();
  });

  it('can resolve a promise with the answer', async () => {
    let answer: (ok: boolean) => void = () => {};
    const answered = new Promise<boolean>((resolve) => (answer = resolve));
    ask({ onconfirm: () => answer(true), oncancel: () => answer(false) });
    await fireEvent.click(screen.getByTestId('question-ok'));
    expect(await answered).toBe(true);
  });

  it('makes the confirm button red only when confirming destroys something', () => {
    ask({ destructive: true });
    expect(screen.getByTestId('question-ok').className).toContain('danger');
  });

  it('shows a plain primary confirm button otherwise', () => {
    ask({ destructive: false });
    const ok = screen.getByTestId('question-ok');
    expect(ok.className).toContain('primary');
    expect(ok.className).not.toContain('danger');
  });
});
