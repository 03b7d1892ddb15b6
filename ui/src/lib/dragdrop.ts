// Files and folders dragged onto the window, from the webview's native drag-and-drop
// (enabled by default in Tauri; paths are real filesystem paths).
import type { UnlistenFn } from '@tauri-apps/api/event';
import { getCurrentWebview } from '@tauri-apps/api/webview';

export interface DragHandlers {
  /** Something is being dragged over the window. */
  hover(): void;
  /** The drag left the window or was cancelled. */
  leave(): void;
  /** Files or folders were dropped. */
  drop(paths: string[]): void;
}

export function onDragDrop(handlers: DragHandlers): Promise<UnlistenFn> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const payload = event.payload;
    switch (payload.type) {
      case 'enter':
      case 'over':
        handlers.hover();
        break;
      case 'leave':
        handlers.leave();
        break;
      case 'drop':
        handlers.leave();
        handlers.drop(payload.paths);
        break;
    }
  });
}
