/** Per-request slots: one value per object and slot, never seen through another slot or object. */
import { describe, expect, it } from 'vitest';
import { requestSlot } from '../../src/gateway/request-slot.js';

describe('requestSlot', () => {
  it('keeps a value per object, apart from other slots of the same name and other objects', () => {
    const a = requestSlot<object, number>('n');
    const b = requestSlot<object, number>('n');
    const first = {};
    const second = {};
    a.set(first, 1);
    b.set(first, 2);
    expect([a.get(first), b.get(first), a.get(second)]).toEqual([1, 2, undefined]);
    expect([a.has(first), a.has(second)]).toEqual([true, false]);
    // Invisible to the object's keys and to JSON: nothing leaks into logs or answers.
    expect(Object.keys(first)).toEqual([]);
    expect(JSON.stringify(first)).toBe('{}');
  });

  it('forgets a value once, and says whether there was one', () => {
    const slot = requestSlot<object, string>('s');
    const key = {};
    expect(slot.delete(key)).toBe(false);
    slot.set(key, 'x');
    expect(slot.delete(key)).toBe(true);
    expect([slot.has(key), slot.get(key), slot.delete(key)]).toEqual([false, undefined, false]);
  });
});
