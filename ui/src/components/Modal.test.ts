// The keyboard rules every dialog of the app gets from Modal: focus in on open, Tab
// wraps inside, Esc asks the owner to close, focus back to the opener on close.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import ModalHarness from '../tests/ModalHarness.svelte';

async function openSettings() {
  const onclose = vi.fn();
  render(ModalHarness, { props: { onclose } });
  const opener = screen.getByRole('button', { name: 'Open settings' });
  opener.focus();
  await fireEvent.click(opener);
  const dialog = screen.getByRole('dialog', { name: 'Settings' });
  return { onclose, opener, dialog };
}

/** A Tab (or Shift+Tab) keydown where the browser would send it: the focused element. */
const tab = (shiftKey = false) => fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Tab', shiftKey });

describe('Modal', () => {
  it('is a modal dialog named by its title, and takes the focus', async () => {
    const { dialog } = await openSettings();
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.dataset.testid).toBe('settings');
    expect(document.activeElement).toBe(dialog);
  });

  it('wraps Tab from the last control to the first, and Shift+Tab back', async () => {
    const { dialog } = await openSettings();
    const close = screen.getByTestId('settings-close'); // first: the title bar's
    const save = screen.getByRole('button', { name: 'Save' }); // last: the footer's
    save.focus();
    await tab();
    expect(document.activeElement).toBe(close);
    await tab(true);
    expect(document.activeElement).toBe(save);

    // From the dialog itself (where it starts), Shift+Tab goes to the last control.
    dialog.focus();
    await tab(true);
    expect(document.activeElement).toBe(save);

    // In between, Tab is the browser's: nothing is moved.
    const name = screen.getByRole('textbox', { name: 'Name' });
    name.focus();
    await tab();
    expect(document.activeElement).toBe(name);
  });

  it('brings the focus back in when it fell out of the dialog', async () => {
    const { opener } = await openSettings();
    (document.activeElement as HTMLElement).blur(); // the focused control went away
    await tab();
    expect(document.activeElement).toBe(screen.getByTestId('settings-close'));
    opener.focus(); // behind the backdrop; only a script can get there
    await tab(true);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Save' }));
  });

  it('closes on Esc through onclose, and gives the focus back to the opener', async () => {
    const { onclose, opener, dialog } = await openSettings();
    screen.getByRole('textbox', { name: 'Name' }).focus();
    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: 'Escape' });
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(dialog.isConnected).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it('gives the focus back to the opener when closed by its close button too', async () => {
    const { onclose, opener } = await openSettings();
    await fireEvent.click(screen.getByTestId('settings-close'));
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(document.activeElement).toBe(opener);
  });

  it('lets only the topmost of two modals act on Esc and Tab', async () => {
    const { onclose } = await openSettings();
    const ask = screen.getByRole('button', { name: 'Ask' });
    ask.focus();
    await fireEvent.click(ask);
    const question = screen.getByRole('dialog', { name: 'Sure?' });
    expect(document.activeElement).toBe(question);

    const yes = screen.getByRole('button', { name: 'Yes' });
    yes.focus();
    await tab();
    expect(document.activeElement).toBe(yes); // its only control: Tab stays on it

    await fireEvent.keyDown(screen.getByTestId('settings'), { key: 'Escape' });
    expect(screen.queryByRole('dialog', { name: 'Sure?' })).toBeNull();
    expect(onclose).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(ask);
  });

  it('gives the focus to the modal below when the opener went away meanwhile', async () => {
    const { dialog } = await openSettings();
    const ask = screen.getByRole('button', { name: 'Ask' });
    ask.focus();
    await fireEvent.click(ask);
    await fireEvent.click(screen.getByRole('button', { name: 'Yes' })); // removes "Ask"
    expect(ask.isConnected).toBe(false);
    expect(document.activeElement).toBe(dialog);
  });
});
