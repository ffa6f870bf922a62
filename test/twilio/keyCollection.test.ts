/**
 * The Gather design for `#`, PIN + `#` and `0#`: no finishing key (a bare `#`
 * is reported like any key), whole entries reported after a short silence, and
 * chains of Gathers that cover the input timeout without a request.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENTRY_PAUSE_SECONDS,
  MAX_GATHER_DIGITS,
  planGatherChain,
  readGatherReport,
  silenceAfterReportSeconds,
  toGatherKeyAttributes,
} from '../../src/providers/twilio/keyCollection.js';

const wholeEntry = { style: 'whole-entry', entryPauseSeconds: null } as const;
const keyByKey = { style: 'key-by-key', entryPauseSeconds: null } as const;

describe('gather shapes', () => {
  it('no Gather has a finishing key, so # — bare or not — arrives in Digits', () => {
    expect(toGatherKeyAttributes('key')).toEqual({ finishOnKey: '', numDigits: 1 });
    expect(toGatherKeyAttributes('entry')).toEqual({ finishOnKey: '', numDigits: MAX_GATHER_DIGITS });
  });

  it('whole-entry: a chain of Gathers of the entry pause covers the silence exactly', () => {
    expect(planGatherChain('standard', wholeEntry, 3)).toEqual([
      { shape: 'entry', timeoutSeconds: 1 },
      { shape: 'entry', timeoutSeconds: 1 },
      { shape: 'entry', timeoutSeconds: 1 },
    ]);
    expect(planGatherChain('pin', wholeEntry, 5)).toEqual([
      { shape: 'entry', timeoutSeconds: 2 },
      { shape: 'entry', timeoutSeconds: 2 },
      { shape: 'entry', timeoutSeconds: 1 },
    ]);
    expect(
      planGatherChain('pin', { style: 'whole-entry', entryPauseSeconds: 3 }, 10).map((g) => g.timeoutSeconds),
    ).toEqual([3, 3, 3, 1]);
  });

  it('whole-entry: any chain waits the whole silence, every Gather at most the entry pause', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('standard' as const, 'pin' as const),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
        fc.integer({ min: 1, max: 120 }),
        (mode, entryPauseSeconds, silence) => {
          const chain = planGatherChain(mode, { style: 'whole-entry', entryPauseSeconds }, silence);
          const pause = entryPauseSeconds ?? DEFAULT_ENTRY_PAUSE_SECONDS[mode];
          expect(chain.reduce((sum, g) => sum + g.timeoutSeconds, 0)).toBe(silence);
          for (const g of chain) {
            expect(g.shape).toBe('entry');
            expect(g.timeoutSeconds).toBeGreaterThanOrEqual(1);
            expect(g.timeoutSeconds).toBeLessThanOrEqual(pause);
          }
        },
      ),
    );
  });

  it('key-by-key: one Gather of one key waits the whole silence', () => {
    expect(planGatherChain('pin', keyByKey, 10)).toEqual([{ shape: 'key', timeoutSeconds: 10 }]);
    expect(planGatherChain('standard', keyByKey, 0)).toEqual([{ shape: 'key', timeoutSeconds: 1 }]);
  });

  it('after a whole-entry report the entry pause already counts towards the input timeout', () => {
    expect(silenceAfterReportSeconds('entry', 10, 'pin', wholeEntry)).toBe(8);
    expect(silenceAfterReportSeconds('entry', 10, 'standard', wholeEntry)).toBe(9);
    expect(silenceAfterReportSeconds('entry', 1, 'pin', wholeEntry)).toBe(1);
    expect(silenceAfterReportSeconds('key', 10, 'pin', keyByKey)).toBe(10);
  });
});

describe('reading Digits', () => {
  it('reads one key, # included, from a key-by-key Gather', () => {
    expect(readGatherReport('key', { Digits: '#' })).toEqual({ keys: '#' });
    expect(readGatherReport('key', { Digits: '7' })).toEqual({ keys: '7' });
    expect(readGatherReport('key', { Digits: '12' })).toBeNull();
    expect(readGatherReport('key', { Digits: '' })).toBeNull();
    expect(readGatherReport('key', { Digits: 'a' })).toBeNull();
    expect(readGatherReport('key', {})).toBeNull();
  });

  it('reads a whole entry, #s where typed, from a whole-entry Gather', () => {
    expect(readGatherReport('entry', { Digits: '#' })).toEqual({ keys: '#' });
    expect(readGatherReport('entry', { Digits: '0#' })).toEqual({ keys: '0#' });
    expect(readGatherReport('entry', { Digits: '4821#' })).toEqual({ keys: '4821#' });
    expect(readGatherReport('entry', { Digits: '5##' })).toEqual({ keys: '5##' });
    expect(readGatherReport('entry', { Digits: '48' })).toEqual({ keys: '48' });
    expect(readGatherReport('entry', { Digits: '1'.repeat(MAX_GATHER_DIGITS) })).toEqual({
      keys: '1'.repeat(MAX_GATHER_DIGITS),
    });
    expect(readGatherReport('entry', { Digits: '1'.repeat(MAX_GATHER_DIGITS + 1) })).toBeNull();
    expect(readGatherReport('entry', { Digits: '' })).toBeNull();
    expect(readGatherReport('entry', { Digits: '12a' })).toBeNull();
    expect(readGatherReport('entry', { Digits: '1 2' })).toBeNull();
  });
});
