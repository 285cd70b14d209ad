/** One day in milliseconds: retention periods and date ranges are counted in days. */
export const DAY_MS = 24 * 60 * 60 * 1000
