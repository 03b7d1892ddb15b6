import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { report } from '../tests/fixtures';
import CardReportView from './CardReportView.svelte';

describe('CardReportView', () => {
  it('says green "Safe to format" when everything is copied and verified', () => {
    render(CardReportView, {
      props: {
        report: report({
          imported: 412,
          card: {
            destination: '/photos',
            backup: '/backup',
            copied: 412,
            already_present: 0,
            not_copied: [],
            safe_to_format: true,
            verdict: 'Safe to format: all 412 photos are copied and verified in the library and the backup.',
          },
        }),
      },
    });
    const verdict = screen.getByTestId('card-verdict');
    expect(verdict.textContent).toContain('Safe to format');
    expect(verdict.classList.contains('safe')).toBe(true);
    expect(screen.queryByTestId('not-copied')).toBeNull();
    expect(screen.getByTestId('card-report').textContent).toContain('412 photos copied and verified');
  });

  it('falls back to the summary for a plain import', () => {
    render(CardReportView, { props: { report: report({ imported: 3 }) } });
    expect(screen.queryByTestId('card-verdict')).toBeNull();
    expect(screen.getByTestId('card-report').textContent).toContain('3 imported');
  });
});
