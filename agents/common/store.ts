/**
 * The agent's durable state (docs/agents.md §2): one SQLite file per agent, opened with better-sqlite3 in
 * WAL mode with `synchronous = FULL` (a committed transaction is on disk before `tx` returns),
 * `foreign_keys = ON` and a `busy_timeout`.
 *
 * The schema is a list of numbered migrations (1, 2, 3...), each applied exactly once, in its own
 * transaction, and recorded in `schema_migrations`. A database written by a newer agent (a higher schema
 * version than this code knows) is refused rather than misread.
 */
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

/** One step of the schema. */
export interface Migration {
  /** 1 for the first migration, then 2, 3... with no gaps. */
  version: number;
  /** A short name (`assignments`, `sends-add-fee`), recorded with the version. */
  name: string;
  /** SQL statements (run with `exec`), or a function for what SQL alone cannot do. */
  up: string | ((db: Database.Database) => void);
}

/** A store that cannot be opened or used as asked; the message says which file and why. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface StoreOptions {
  /** How long a writer waits for another connection's lock before `SQLITE_BUSY`; default 5000 ms. */
  busyTimeoutMs?: number;
}

/** A durable JSON key-value table (`meta`), for cursors and other single values. */
export interface MetaTable {
  /** The value stored at `key` (parsed JSON), or `undefined`. */
  get<T = unknown>(key: string): T | undefined;
  /** Stores `value` (anything `JSON.stringify` takes, not `undefined`) at `key`, replacing what was there. */
  set(key: string, value: unknown): void;
  /** Removes `key`; whether it was there. */
  delete(key: string): boolean;
}

export interface Store {
  /** The better-sqlite3 connection, for prepared statements. */
  readonly db: Database.Database;
  /** The file (or `:memory:`). */
  readonly path: string;
  /** The schema version after migrating: the highest migration applied (0 with none). */
  readonly version: number;
  /**
   * Runs `fn` in an immediate transaction (the write lock is taken at the start) and returns its value;
   * a throw rolls everything back and is rethrown. `fn` must be synchronous: a returned promise is refused
   * (its work would land outside the transaction). Nested calls become savepoints.
   */
  tx<T>(fn: (db: Database.Database) => T): T;
  readonly meta: MetaTable;
  /** Closes the connection; later calls do nothing. */
  close(): void;
}

/** The bookkeeping tables every store has, created before the agent's migrations. */
const BOOTSTRAP_SQL = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
`;

function checkMigrations(migrations: readonly Migration[]): void {
  if (!Array.isArray(migrations)) {
    throw new StoreError("openStore: migrations must be an array of {version, name, up}");
  }
  migrations.forEach((m, i) => {
    const where = `openStore: migrations[${i}]`;
    if (typeof m !== "object" || m === null) throw new StoreError(`${where} is not an object`);
    if (m.version !== i + 1) {
      throw new StoreError(
        `${where} has version ${String(m.version)}; migrations are numbered 1, 2, 3... in order, so it must be ${i + 1}`,
      );
    }
    if (typeof m.name !== "string" || m.name.trim() === "") {
      throw new StoreError(`${where} (version ${m.version}) needs a non-empty name`);
    }
    if (typeof m.up !== "string" && typeof m.up !== "function") {
      throw new StoreError(`${where} (version ${m.version}, ${m.name}): up must be SQL text or a function`);
    }
  });
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Opens (creating if needed) the store at `file` and applies the migrations it lacks. `:memory:` gives a
 * private in-memory database (no WAL; for tests).
 *
 * @throws StoreError if the file cannot be opened, WAL mode cannot be turned on, the database's schema is
 *   newer than `migrations`, an applied migration's name differs from the code's, or a migration fails
 *   (that migration is rolled back; earlier ones stay).
 */
export function openStore(file: string, migrations: readonly Migration[], options: StoreOptions = {}): Store {
  checkMigrations(migrations);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new StoreError(`openStore: busyTimeoutMs must be an integer >= 0, got ${String(busyTimeoutMs)}`);
  }
  const inMemory = file === ":memory:";
  if (!inMemory) {
    const dir = path.dirname(path.resolve(file));
    if (!fs.existsSync(dir)) {
      throw new StoreError(`openStore: cannot open ${file}: the directory ${dir} does not exist`);
    }
  }

  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (e) {
    throw new StoreError(`openStore: cannot open ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    configure(db, file, inMemory, busyTimeoutMs);
    const version = migrate(db, file, migrations);
    return makeStore(db, file, version);
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError(`openStore: cannot use ${file}: ${(e as Error).message}`, { cause: e });
  }
}

function configure(db: Database.Database, file: string, inMemory: boolean, busyTimeoutMs: number): void {
  // busy_timeout first: switching to WAL needs a lock another connection may hold.
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  const mode = String(db.pragma("journal_mode = WAL", { simple: true })).toLowerCase();
  if (!inMemory && mode !== "wal") {
    throw new StoreError(
      `openStore: ${file}: could not turn on WAL mode (SQLite reports journal_mode ${mode})`,
    );
  }
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
}

function migrate(db: Database.Database, file: string, migrations: readonly Migration[]): number {
  db.exec(BOOTSTRAP_SQL);
  const latest = migrations.length;
  const applied = () =>
    db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all() as {
      version: number;
      name: string;
    }[];

  const check = (rows: { version: number; name: string }[]) => {
    const current = rows.length === 0 ? 0 : rows[rows.length - 1].version;
    if (current > latest) {
      throw new StoreError(
        `openStore: ${file} has schema version ${current}, newer than this agent's schema version ${latest}; ` +
          `it was written by a newer agent — run that version, or restore a backup`,
      );
    }
    for (const row of rows) {
      const known = migrations[row.version - 1];
      if (known === undefined || known.name !== row.name) {
        throw new StoreError(
          `openStore: ${file} recorded migration ${row.version} as ${JSON.stringify(row.name)}, but this agent's ` +
            `migration ${row.version} is ${JSON.stringify(known?.name)}; the database belongs to another schema`,
        );
      }
    }
    return current;
  };

  check(applied());
  const insert = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  for (const m of migrations) {
    db.transaction(() => {
      // Re-read under the write lock: another process may have applied it since.
      const done = db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?").get(m.version);
      if (done !== undefined) return;
      try {
        if (typeof m.up === "string") db.exec(m.up);
        else m.up(db);
      } catch (e) {
        throw new StoreError(
          `openStore: ${file}: migration ${m.version} (${m.name}) failed and was rolled back: ${(e as Error).message}`,
          { cause: e },
        );
      }
      insert.run(m.version, m.name, new Date().toISOString());
    }).immediate();
  }
  return check(applied());
}

/** The most distinct SQL texts whose prepared statements are kept; past it, statements are prepared each time. */
const STATEMENT_CACHE = 512;

/**
 * Makes `db.prepare` keep the statements it prepares, by SQL text. The agents prepare their statements where they
 * use them (a few per slot); SQLite's prepare costs more than the execution of these small queries. A cached
 * statement is the same object every time, handed back in the default row mode; that is safe here: no agent
 * iterates a statement lazily (`iterate`) while running it again, and SQLite re-prepares a statement by itself
 * after a schema change.
 */
function memoizePrepare(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (cache.size < STATEMENT_CACHE) cache.set(sql, statement);
    } else if (statement.reader) {
      // back to the default row mode: a caller may have set pluck/raw/expand on it
      statement.pluck(false).expand(false).raw(false);
    }
    return statement;
  }) as typeof db.prepare;
}

function makeStore(db: Database.Database, file: string, version: number): Store {
  memoizePrepare(db);
  const getMeta = db.prepare("SELECT value FROM meta WHERE key = ?");
  const setMeta = db.prepare(
    "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) " +
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
  );
  const deleteMeta = db.prepare("DELETE FROM meta WHERE key = ?");
  const checkKey = (op: string, key: unknown) => {
    if (typeof key !== "string" || key === "") {
      throw new StoreError(`meta.${op}: the key must be a non-empty string, got ${JSON.stringify(key)}`);
    }
  };

  const meta: MetaTable = {
    get<T>(key: string): T | undefined {
      checkKey("get", key);
      const row = getMeta.get(key) as { value: string } | undefined;
      if (row === undefined) return undefined;
      try {
        return JSON.parse(row.value) as T;
      } catch (e) {
        throw new StoreError(`meta.get(${JSON.stringify(key)}) in ${file}: the stored value is not JSON`, {
          cause: e,
        });
      }
    },
    set(key: string, value: unknown): void {
      checkKey("set", key);
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (e) {
        throw new StoreError(
          `meta.set(${JSON.stringify(key)}): the value cannot be stored as JSON: ${(e as Error).message}`,
          { cause: e },
        );
      }
      if (text === undefined) {
        throw new StoreError(
          `meta.set(${JSON.stringify(key)}): the value (${typeof value}) has no JSON form; use delete to remove a key`,
        );
      }
      setMeta.run(key, text, new Date().toISOString());
    },
    delete(key: string): boolean {
      checkKey("delete", key);
      return deleteMeta.run(key).changes > 0;
    },
  };

  return Object.freeze({
    db,
    path: file,
    version,
    meta: Object.freeze(meta),
    tx<T>(fn: (db: Database.Database) => T): T {
      return db
        .transaction(() => {
          const result = fn(db);
          if (isThenable(result)) {
            throw new StoreError(
              "tx: the function returned a promise; a transaction must be synchronous (await outside tx)",
            );
          }
          return result;
        })
        .immediate();
    },
    close(): void {
      if (db.open) db.close();
    },
  });
}
