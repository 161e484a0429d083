/** The scheduler's SQLite schema (docs/agents.md §2): processes, messages, assignments, publications,
 * pending spawns. */
import { openStore, type Migration, type Store } from "../../common/store";

export const SCHEDULER_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: "scheduler",
    up: `
      CREATE TABLE processes (
        id TEXT PRIMARY KEY,                 -- on-chain process id, 0x hex, lower case
        arweave_id TEXT NOT NULL,            -- the Process item's id on chain (0x hex)
        max_message_bytes INTEGER NOT NULL,  -- the canonical encoding limit (module's, capped at 65536)
        next_slot INTEGER NOT NULL DEFAULT 0,
        last_hash TEXT NOT NULL,             -- the assignment hash of next_slot - 1 (zero before slot 0)
        last_timestamp INTEGER NOT NULL DEFAULT 0,
        last_height INTEGER NOT NULL DEFAULT 0,
        registered_at INTEGER NOT NULL
      );
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,                 -- the data item id (base64url)
        process TEXT NOT NULL REFERENCES processes(id),
        slot INTEGER NOT NULL,
        type TEXT NOT NULL,                  -- Message | Process
        owner_address TEXT NOT NULL,
        raw BLOB NOT NULL,                   -- the signed data item as received
        publication INTEGER REFERENCES publications(id)
      );
      CREATE TABLE assignments (
        process TEXT NOT NULL REFERENCES processes(id),
        slot INTEGER NOT NULL,
        message_id TEXT NOT NULL UNIQUE REFERENCES messages(id),
        message_hash TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        block_height INTEGER NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        item_id TEXT,                        -- the Assignment data item, made by the publisher
        item_raw BLOB,
        publication INTEGER REFERENCES publications(id),
        PRIMARY KEY (process, slot)
      );
      CREATE INDEX assignments_unpublished ON assignments(publication) WHERE publication IS NULL;
      CREATE TABLE publications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,                  -- slots | location
        status TEXT NOT NULL,                -- pending | posted
        item_ids TEXT NOT NULL,              -- JSON array, bundle order
        items BLOB,                          -- for kind=location: the signed item
        bundle_id TEXT,
        created_at INTEGER NOT NULL,
        posted_at INTEGER
      );
    `,
  },
  {
    version: 2,
    name: "pending spawns",
    up: `
      -- Process items received before their process was spawned on chain (aoconnect's spawn posts the item
      -- first; its id is the on-chain arweaveId). Slot 0 is assigned once the registry shows the process.
      CREATE TABLE pending_processes (
        id TEXT PRIMARY KEY,                 -- the on-chain process id it will have, 0x hex, lower case
        item_id TEXT NOT NULL UNIQUE,        -- the Process item's id (base64url)
        module_id TEXT NOT NULL,             -- Holo-Module
        initial_state TEXT NOT NULL,         -- Holo-Initial-State
        owner TEXT NOT NULL,                 -- Holo-Owner
        raw BLOB NOT NULL,                   -- the signed Process item as received
        received_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "publication bundle transaction",
    up: `
      -- The signed bundle transaction of a publication (arweave-js JSON, its data left out: the bundle is rebuilt
      -- from the items), stored with bundle_id before the first post, so a resume re-sends that same
      -- transaction instead of a new bundle of the same items.
      ALTER TABLE publications ADD COLUMN bundle_tx TEXT;
    `,
  },
  {
    version: 4,
    name: "assignment message length",
    up: `
      -- The byte length of the canonical message encoding, signed in the assignment (EIP-712 field
      -- messageLength, threat-model row 28). NULL on a row written before this version: it was signed under
      -- the earlier Assignment type (no messageLength), which registries of this version refuse, so the
      -- scheduler refuses to open a store holding such rows (LegacyAssignments) instead of serving them or
      -- chaining new slots to them. Such a store belongs to a registry of the earlier version.
      ALTER TABLE assignments ADD COLUMN message_length INTEGER;
    `,
  },
]);

/** Opens (creating or migrating) the scheduler's store at `file` (`:memory:` for tests). */
export function openSchedulerStore(file: string): Store {
  return openStore(file, SCHEDULER_MIGRATIONS);
}
