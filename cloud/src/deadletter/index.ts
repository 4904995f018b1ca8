export type {
  DeadLetter,
  DeadLetterFilter,
  DeadLetterInput,
  DeadLetterPage,
  DeadLetterQuery,
  DeadLetterStats,
  DeadLetterStore,
} from './dead-letter-store.js';
export { DEAD_LETTERS_CLOSED, openSqliteDeadLetterStore, type SqliteDeadLetterOptions } from './sqlite-dead-letter-store.js';
