import { z } from 'zod';

/**
 * A whole number in a range. The first issue is the one told: the maximum before int(), whose own
 * is the safe-integer bound (1e20: "at most 9007199254740991"), and int() before the minimum
 * (1.5 is no whole number, whatever the range).
 */
export function wholeNumber(min: number, max: number) {
  return z.number().max(max).int().min(min);
}
