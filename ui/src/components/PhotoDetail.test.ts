// The photo view reads the photo's details when it opens: a photo that has left
// the catalog meanwhile closes the view; any other failure is said in the view.
import { mockConvertFileSrc } from '@tauri-apps/api/mocks';
import { render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../lib/api';
import { tile } from '../tests/fixtures';
import PhotoDetail from './PhotoDetail.svelte';

function open(error: unknown) {
  mockConvertFileSrc('linux');
  const onClose = vi.fn();
  const api = {
    photoDetail: vi.fn<Api['photoDetail']>(async () => {
      throw error;
    }),
  } as unknown as Api;
  render(PhotoDetail, { props: { api, tile: tile(7), index: 0, count: 1, onNavigate: vi.fn(), onClose } });
  return { onClose, api };
}

describe('PhotoDetail', () => {
  it('closes when the photo is no longer in the catalog', async () => {
    const { onClose, api } = open(new ApiError('not_found', 'no photo with id 7'));
    await waitFor(() => expect(onClose).toHaveBeenCalledTimes(1));
    expect(api.photoDetail).toHaveBeenCalledWith(7);
  });

  it('stays open and says why when the details cannot be read', async () => {
    const { onClose } = open(new ApiError('catalog', 'database disk image is malformed'));
    await waitFor(() => expect(screen.getByText(/database disk image is malformed/)).toBeTruthy());
    expect(onClose).not.toHaveBeenCalled();
  });
});
