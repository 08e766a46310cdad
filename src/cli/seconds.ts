import { LabError } from '../errors.js';

/** A parser for an option that takes seconds; 0 or garbage is a usage error, not a zero wait. */
export const seconds = (flag: string, example: number) => (value: string): number => {
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0) throw new LabError(`${flag} ${value} is not a positive number of seconds`, `e.g. ${flag} ${example}`, 2);
  return s;
};
