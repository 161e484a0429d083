/**
 * The watcher's SQLite schema: one verdict per commitment seen (the games live in GAMES_SCHEMA), every
 * re-executed slot and every `checkpointEverySlots`-th process state.
 */
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
  {
    version: 2,
    name: "watcher-slots-checkpoints",
    up: `
      -- Re-executed slots and checkpoints on disk, not in memory (issue 8, finding 5): memory stays flat
      -- over a long log and a restart resumes from the latest checkpoint instead of slot 0. A store from
      -- version 1 has no slots: its processes are re-executed from slot 0 once, as before.
      CREATE TABLE slots (
        process TEXT NOT NULL,
        slot INTEGER NOT NULL,
        message BLOB NOT NULL,               -- the canonical message bytes (traces and restarts re-execute it)
        signed TEXT NOT NULL,                -- the signed assignment as JSON (bigints as decimal strings)
        assignment_hash TEXT NOT NULL,
        result_hash TEXT NOT NULL,
        state_hash TEXT,                     -- the process-state hash after this slot, NULL where not taken
        PRIMARY KEY (process, slot)
      );
      CREATE TABLE checkpoints (
        process TEXT NOT NULL,
        slot INTEGER NOT NULL,               -- the state after this slot
        state_hash TEXT NOT NULL,
        state BLOB NOT NULL,                 -- FastProcess#checkpoint() bytes
        PRIMARY KEY (process, slot)
      );
    `,
  },
]);

export function openWatcherStore(file: string): Store {
  return openStore(file, WATCHER_MIGRATIONS);
}
