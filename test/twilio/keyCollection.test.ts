/**
 * The Gather design for `#`, PIN + `#` and `0#` under Twilio's finishOnKey rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advanceEntry,
  chooseGatherShape,
  EMPTY_ENTRY,
  readGatherReport,
  toGatherKeyAttributes,
} from '../../src/providers/twilio/keyCollection.js';

const keyByKey = { pinEntry: 'key-by-key', minPinLength: 4 } as const;
const finishOnKey = { pinEntry: 'finish-on-key', minPinLength: 4 } as const;

describe('gather shapes', () => {
  it('a key-by-key Gather has finishOnKey="" and numDigits=1, so a bare # arrives as a key', () => {
    expect(toGatherKeyAttributes('key')).toEqual({ finishOnKey: '', numDigits: 1 });
    expect(toGatherKeyAttributes('rest')).toEqual({ finishOnKey: '#' });
  });

  it('standard mode always collects key by key (the next key may be a bare #)', () => {
    for (const settings of [keyByKey, finishOnKey]) {
      for (const entry of [
        EMPTY_ENTRY,
        { length: 1, isFraudCodePrefix: true },
        { length: 3, isFraudCodePrefix: false },
      ]) {
        expect(chooseGatherShape({ mode: 'standard', fraudCode: '0' }, entry, settings)).toBe('key');
      }
    }
  });

  it('PIN mode with finish-on-key collects the rest up to # only where no entry can be complete', () => {
    const pin = { mode: 'pin', fraudCode: '0' } as const;
    expect(chooseGatherShape(pin, EMPTY_ENTRY, finishOnKey)).toBe('key');
    expect(chooseGatherShape(pin, advanceEntry(EMPTY_ENTRY, '0', '0'), finishOnKey)).toBe('key');
    expect(chooseGatherShape(pin, advanceEntry(EMPTY_ENTRY, '1', '0'), finishOnKey)).toBe('rest');
    expect(chooseGatherShape(pin, advanceEntry(EMPTY_ENTRY, '01', '0'), finishOnKey)).toBe('rest');
    expect(chooseGatherShape(pin, advanceEntry(EMPTY_ENTRY, '1234', '0'), finishOnKey)).toBe('key');
    expect(chooseGatherShape({ mode: 'pin', fraudCode: null }, advanceEntry(EMPTY_ENTRY, '0', null), finishOnKey)).toBe(
      'rest',
    );
    expect(chooseGatherShape(pin, advanceEntry(EMPTY_ENTRY, '1', '0'), keyByKey)).toBe('key');
  });

  it('tracks the entry without keeping its keys', () => {
    expect(advanceEntry(EMPTY_ENTRY, '0', '0')).toEqual({ length: 1, isFraudCodePrefix: true });
    expect(advanceEntry(EMPTY_ENTRY, '00', '0')).toEqual({ length: 2, isFraudCodePrefix: false });
    expect(advanceEntry(EMPTY_ENTRY, '12#', '0')).toEqual(EMPTY_ENTRY);
    expect(advanceEntry(EMPTY_ENTRY, '12#9', '911')).toEqual({ length: 1, isFraudCodePrefix: true });
    expect(advanceEntry(EMPTY_ENTRY, '9', null)).toEqual({ length: 1, isFraudCodePrefix: false });
  });

  it('a PIN of at least minPinLength never starts a rest Gather with its #', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{4,12}$/),
        fc.option(fc.stringMatching(/^[0-9]{1,4}$/)),
        (pin, fraudCode) => {
          // The Gather that receives the # started after `start` keys; it must not be a rest Gather starting at the #.
          let entry = EMPTY_ENTRY;
          let shape = chooseGatherShape({ mode: 'pin', fraudCode }, entry, finishOnKey);
          for (const key of pin) {
            if (shape === 'rest') return; // the rest, # included, arrives in that Gather
            entry = advanceEntry(entry, key, fraudCode);
            shape = chooseGatherShape({ mode: 'pin', fraudCode }, entry, finishOnKey);
          }
          expect(shape).toBe('key');
        },
      ),
    );
  });
});

describe('reading Digits', () => {
  it('reads one key, # included, from a key-by-key Gather', () => {
    expect(readGatherReport('key', { Digits: '#' })).toEqual({ keys: '#', timedOut: false });
    expect(readGatherReport('key', { Digits: '7', FinishedOnKey: '' })).toEqual({ keys: '7', timedOut: false });
    expect(readGatherReport('key', { Digits: '12' })).toBeNull();
    expect(readGatherReport('key', { Digits: '' })).toBeNull();
    expect(readGatherReport('key', { Digits: 'a' })).toBeNull();
    expect(readGatherReport('key', {})).toBeNull();
  });

  it('appends the # that finished a rest Gather; without it, the Gather timed out', () => {
    expect(readGatherReport('rest', { Digits: '234', FinishedOnKey: '#' })).toEqual({ keys: '234#', timedOut: false });
    expect(readGatherReport('rest', { Digits: '', FinishedOnKey: '#' })).toEqual({ keys: '#', timedOut: false });
    expect(readGatherReport('rest', { Digits: '23', FinishedOnKey: '' })).toEqual({ keys: '23', timedOut: true });
    expect(readGatherReport('rest', { Digits: '23' })).toEqual({ keys: '23', timedOut: true });
    expect(readGatherReport('rest', { Digits: '2#3', FinishedOnKey: '#' })).toBeNull();
    expect(readGatherReport('rest', { Digits: '', FinishedOnKey: '' })).toBeNull();
    expect(readGatherReport('rest', { Digits: '1'.repeat(64), FinishedOnKey: '#' })).toBeNull();
  });
});
