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

/** Lets the photographer choose one selfie (JPEG or PNG); null when cancelled. */
export async function pickSelfie(): Promise<string | null> {
  return open({
    directory: false,
    multiple: false,
    title: 'Choose the selfie',
    filters: [{ name: 'Photos', extensions: ['jpg', 'jpeg', 'png', 'JPG', 'JPEG', 'PNG'] }],
  });
}

/** Lets the photographer choose a CSV of `id,name` lines; null when cancelled. */
export async function pickNamesCsv(): Promise<string | null> {
  return open({
    directory: false,
    multiple: false,
    title: 'Choose the names (CSV: id,name)',
    filters: [{ name: 'CSV', extensions: ['csv', 'txt'] }],
  });
}
