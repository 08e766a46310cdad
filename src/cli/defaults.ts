/** The lab commands use when none is named: the small one CI runs. */
export const DEFAULT_LAB = 'mini';
