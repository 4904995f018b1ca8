export type { Quality, Reading } from './reading.js';
