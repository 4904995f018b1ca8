import type { Bench } from './table.js';

/** Every benchmark, by name. Each lives in its own file beside this one. */
export const benches: Bench[] = [];
