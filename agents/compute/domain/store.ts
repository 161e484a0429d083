/**
 * The compute unit's SQLite schema: per-slot evaluations, per-process cursors, commitments, state
 * checkpoints and the Arweave data items (results, checkpoints) with their publication status.
 */
import { openStore, type Migration, type Store } from "../../common/store";

export const COMPUTE_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: "compute",
    up: `
      CREATE TABLE cursors (
        process TEXT PRIMARY KEY,            -- on-chain process id, 0x hex, lower case
        next_slot INTEGER NOT NULL,          -- the next unevaluated slot
        last_assignment_hash TEXT NOT NULL,  -- the assignment hash of next_slot - 1 (zero before slot 0)
        state_hash TEXT NOT NULL             -- the process-state hash after next_slot - 1
      );
      CREATE TABLE evaluations (
        process TEXT NOT NULL,
        slot INTEGER NOT NULL,
        message_id TEXT NOT NULL,            -- the assignment's messageId (0x hex)
        message BLOB NOT NULL,               -- the canonical message bytes (kept to rebuild the state)
        assignment_hash TEXT NOT NULL,
        result TEXT NOT NULL,                -- the MessageResult as JSON (items' bytes as 0x hex)
        result_hash TEXT NOT NULL,
        state_hash TEXT NOT NULL,            -- the process-state hash after this slot
        steps INTEGER NOT NULL,
        PRIMARY KEY (process, slot)
      );
      CREATE INDEX evaluations_message ON evaluations (message_id);
      CREATE TABLE commitments (
        id TEXT PRIMARY KEY,                 -- keccak256(abi.encode(commitment))
        process TEXT NOT NULL,
        parent TEXT NOT NULL,                -- the parent's id, zero for the initial state
        first_slot INTEGER NOT NULL,
        last_slot INTEGER NOT NULL,
        content TEXT NOT NULL,               -- the Commitment as JSON (bigints as decimal strings)
        status TEXT NOT NULL,                -- posting | posted | finalized
        deadline INTEGER,                    -- the challenge window's end (unix seconds), once posted
        UNIQUE (process, first_slot)
      );
    `,
  },
  {
    version: 2,
    name: "compute-arweave-checkpoints",
    up: `
      -- the signed assignment of the slot as JSON (its fields and the scheduler's signature), so a game's
      -- trace can be rebuilt without the SU; NULL for slots evaluated before this migration
      ALTER TABLE evaluations ADD COLUMN signed TEXT;
      -- status 'refused': the registry's decoded error (a revert that is not transient)
      ALTER TABLE commitments ADD COLUMN refused TEXT;
      CREATE TABLE checkpoints (
        process TEXT NOT NULL,
        slot INTEGER NOT NULL,               -- the process state after this slot
        state_hash TEXT NOT NULL,            -- its process-state hash (= evaluations.state_hash of the slot)
        state BLOB NOT NULL,                 -- FastProcess#checkpoint() bytes
        item_id TEXT,                        -- its Holo-Checkpoint data item, once made (NULL without Arweave)
        PRIMARY KEY (process, slot)
      );
      CREATE TABLE publications (
        item_id TEXT PRIMARY KEY,            -- the ANS-104 data item id (base64url), fixed once signed
        process TEXT NOT NULL,
        kind TEXT NOT NULL,                  -- results | checkpoint
        first_slot INTEGER NOT NULL,
        last_slot INTEGER NOT NULL,
        raw BLOB NOT NULL,                   -- the signed item's bytes, stored before any post
        status TEXT NOT NULL,                -- pending | posted
        bundle_id TEXT,                      -- the bundle it was posted in (NULL when found already there)
        created_at INTEGER NOT NULL
      );
      CREATE INDEX publications_pending ON publications (process, status);
    `,
  },
  {
    version: 3,
    name: "compute-prune",
    up: `
      -- Several CUs: a superseded commitment is pruned and its range committed again on the finalized tip, so
      -- (process, first_slot) is unique only among the live rows. SQLite cannot drop a constraint: rebuilt.
      CREATE TABLE commitments_v3 (
        id TEXT PRIMARY KEY,                 -- keccak256(abi.encode(commitment))
        process TEXT NOT NULL,
        parent TEXT NOT NULL,                -- the parent's id, zero for the initial state
        first_slot INTEGER NOT NULL,
        last_slot INTEGER NOT NULL,
        content TEXT NOT NULL,               -- the Commitment as JSON (bigints as decimal strings)
        status TEXT NOT NULL,                -- posting | posted | finalized | refused | pruned | rejected
        deadline INTEGER,                    -- the challenge window's end (unix seconds), once posted
        refused TEXT,                        -- status 'refused': the registry's decoded error
        pruned TEXT                          -- status 'pruned' | 'rejected': the registry's RejectReason name
      );
      INSERT INTO commitments_v3 (id, process, parent, first_slot, last_slot, content, status, deadline, refused)
        SELECT id, process, parent, first_slot, last_slot, content, status, deadline, refused FROM commitments
        ORDER BY rowid;
      DROP TABLE commitments;
      ALTER TABLE commitments_v3 RENAME TO commitments;
      CREATE UNIQUE INDEX commitments_live_range ON commitments (process, first_slot)
        WHERE status IN ('posting', 'posted', 'finalized', 'refused');
      CREATE INDEX commitments_process ON commitments (process, first_slot);
    `,
  },
  {
    version: 4,
    name: "compute-sparse-state-hash",
    up: `
      -- The process-state hash is taken only at a page's last slot, at checkpoints and at commitment ends
      -- (docs/benchmarks.md, issue 7): NULL at any other slot, computed from a checkpoint when needed.
      -- SQLite cannot drop NOT NULL: rebuilt, rows and columns in the same order, its index again.
      CREATE TABLE evaluations_v4 (
        process TEXT NOT NULL,
        slot INTEGER NOT NULL,
        message_id TEXT NOT NULL,            -- the assignment's messageId (0x hex)
        message BLOB NOT NULL,               -- the canonical message bytes (kept to rebuild the state)
        assignment_hash TEXT NOT NULL,
        result TEXT NOT NULL,                -- the MessageResult as JSON (items' bytes as 0x hex)
        result_hash TEXT NOT NULL,
        state_hash TEXT,                     -- the process-state hash after this slot, NULL where not taken
        steps INTEGER NOT NULL,
        signed TEXT,                         -- the signed assignment as JSON (NULL before migration 2)
        PRIMARY KEY (process, slot)
      );
      INSERT INTO evaluations_v4 (process, slot, message_id, message, assignment_hash, result, result_hash,
          state_hash, steps, signed)
        SELECT process, slot, message_id, message, assignment_hash, result, result_hash, state_hash, steps, signed
        FROM evaluations ORDER BY process, slot;
      DROP TABLE evaluations;
      ALTER TABLE evaluations_v4 RENAME TO evaluations;
      CREATE INDEX evaluations_message ON evaluations (message_id);
    `,
  },
]);

export function openComputeStore(file: string): Store {
  return openStore(file, COMPUTE_MIGRATIONS);
}
