// The native folder picker (tauri-plugin-dialog).
import { open } from '@tauri-apps/plugin-dialog';

/** Lets the photographer choose one or more folders; [] when cancelled. */
export async function pickFolders(title: string): Promise<string[]> {
  const picked = await open({ directory: true, multiple: true, title });
  return picked ?? [];
}

/** Lets the photographer choose one folder; null when cancelled. */
export async function pickFolder(title: string): Promise<string | null> {
  return open({ directory: true, multiple: false, title });
}
