import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup } from '@testing-library/svelte';
import { afterEach } from 'vitest';

afterEach(() => {
  // Unmount first: components unlisten through the mocked IPC on their way out.
  cleanup();
  clearMocks();
});
