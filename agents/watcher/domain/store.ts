/** The watcher's SQLite schema: one verdict per commitment seen (the games live in GAMES_SCHEMA). */
import { GAMES_SCHEMA } from "../../common/games";
import { openStore, type Migration, type Store } from "../../common/store";

export const WATCHER_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: "watcher",
    up: `
      CREATE TABLE checks (
        id TEXT PRIMARY KEY,                 -- the commitment id
        process TEXT NOT NULL,
        first_slot INTEGER NOT NULL,
        last_slot INTEGER NOT NULL,
        content TEXT NOT NULL,               -- the Commitment as JSON (bigints as decimal strings)
        block INTEGER NOT NULL,              -- the block of its CommitmentPosted event
        posted_at INTEGER NOT NULL,          -- that block's timestamp (unix seconds)
        deadline INTEGER NOT NULL,           -- the challenge window's end (unix seconds)
        verdict TEXT NOT NULL,               -- pending | agree | disagree | badParent
        detail TEXT,                         -- what differs, or why it is still pending
        game_id TEXT,                        -- the game opened against it
        paged INTEGER NOT NULL DEFAULT 0,    -- 1 once "data missing past half the window" was paged
        checked_at INTEGER                   -- ms since the epoch
      );
      CREATE INDEX checks_pending ON checks (verdict, process, first_slot);
      ${GAMES_SCHEMA}
    `,
  },
]);

export function openWatcherStore(file: string): Store {
  return openStore(file, WATCHER_MIGRATIONS);
}
