import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { StoreError, openStore, type Migration, type Store } from "../../../agents/common/store";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "processes",
    up: "CREATE TABLE processes (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);",
  },
  {
    version: 2,
    name: "assignments",
    up: `CREATE TABLE assignments (
           process TEXT NOT NULL REFERENCES processes(id),
           slot INTEGER NOT NULL,
           message TEXT NOT NULL,
           PRIMARY KEY (process, slot)
         );`,
  },
];

function expectStoreError(fn: () => unknown, pattern: RegExp): StoreError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a StoreError").to.be.instanceOf(StoreError);
  expect((caught as StoreError).name).to.equal("StoreError");
  expect((caught as StoreError).message).to.match(pattern);
  return caught as StoreError;
}

describe("agents/common/store", function () {
  let dir: string;
  const open: Store[] = [];
  const track = (s: Store) => (open.push(s), s);

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "holo-store-"));
  });
  afterEach(function () {
    for (const s of open.splice(0)) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("opens a file database in WAL mode with synchronous=FULL, foreign keys and a busy timeout", function () {
    const store = track(openStore(path.join(dir, "su.sqlite"), MIGRATIONS, { busyTimeoutMs: 1234 }));
    expect(store.db.pragma("journal_mode", { simple: true })).to.equal("wal");
    expect(store.db.pragma("synchronous", { simple: true })).to.equal(2); // FULL
    expect(store.db.pragma("foreign_keys", { simple: true })).to.equal(1);
    expect(store.db.pragma("busy_timeout", { simple: true })).to.equal(1234);
    expect(store.version).to.equal(2);
    expect(store.path).to.equal(path.join(dir, "su.sqlite"));
  });

  it("enforces foreign keys", function () {
    const store = track(openStore(":memory:", MIGRATIONS));
    expect(() =>
      store.db.prepare("INSERT INTO assignments (process, slot, message) VALUES ('nope', 0, 'm')").run(),
    ).to.throw(/FOREIGN KEY constraint failed/);
  });

  it("applies each migration exactly once, across reopening, and only the new ones later", function () {
    const file = path.join(dir, "cu.sqlite");
    let runs = 0;
    const counted: Migration[] = [
      ...MIGRATIONS,
      {
        version: 3,
        name: "seed",
        up: (db) => {
          runs += 1;
          db.prepare("INSERT INTO processes (id, created_at) VALUES ('p', 1)").run();
        },
      },
    ];
    track(openStore(file, MIGRATIONS)).close();
    let store = openStore(file, MIGRATIONS);
    expect(store.version).to.equal(2);
    store.close();

    store = openStore(file, counted);
    expect(store.version).to.equal(3);
    store.close();
    store = track(openStore(file, counted));
    expect(runs).to.equal(1);
    expect(store.db.prepare("SELECT count(*) AS n FROM processes").get()).to.deep.equal({ n: 1 });
    const rows = store.db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
    expect(rows).to.deep.equal([
      { version: 1, name: "processes" },
      { version: 2, name: "assignments" },
      { version: 3, name: "seed" },
    ]);
  });

  it("refuses a database written by a newer schema, naming both versions", function () {
    const file = path.join(dir, "watcher.sqlite");
    openStore(file, MIGRATIONS).close();
    expectStoreError(
      () => openStore(file, MIGRATIONS.slice(0, 1)),
      /watcher\.sqlite has schema version 2, newer than this agent's schema version 1/,
    );
    // and leaves it intact for the newer agent
    const store = track(openStore(file, MIGRATIONS));
    expect(store.version).to.equal(2);
  });

  it("refuses a database whose recorded migration names differ from the code's", function () {
    const file = path.join(dir, "other.sqlite");
    openStore(file, MIGRATIONS).close();
    const renamed = [MIGRATIONS[0], { ...MIGRATIONS[1], name: "games" }];
    expectStoreError(
      () => openStore(file, renamed),
      /recorded migration 2 as "assignments", but this agent's migration 2 is "games"/,
    );
  });

  it("rolls back a failing migration and keeps the earlier ones", function () {
    const file = path.join(dir, "broken.sqlite");
    const broken: Migration[] = [
      MIGRATIONS[0],
      { version: 2, name: "half", up: "CREATE TABLE half (x INTEGER); INSERT INTO missing VALUES (1);" },
    ];
    expectStoreError(
      () => openStore(file, broken),
      /migration 2 \(half\) failed and was rolled back: no such table: missing/,
    );
    const store = track(openStore(file, MIGRATIONS.slice(0, 1)));
    expect(store.version).to.equal(1);
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).to.equal(undefined);
  });

  it("refuses a badly numbered migration list", function () {
    expectStoreError(
      () => openStore(":memory:", [MIGRATIONS[0], { ...MIGRATIONS[1], version: 3 }]),
      /migrations\[1\] has version 3; migrations are numbered 1, 2, 3\.\.\. in order, so it must be 2/,
    );
    expectStoreError(
      () => openStore(":memory:", [{ version: 1, name: "", up: "" }]),
      /migrations\[0\] \(version 1\) needs a non-empty name/,
    );
  });

  it("names the file when it cannot be opened or is not a database", function () {
    expectStoreError(
      () => openStore(path.join(dir, "no", "such", "dir", "x.sqlite"), MIGRATIONS),
      /cannot open .*x\.sqlite: the directory .*dir does not exist/,
    );
    const junk = path.join(dir, "junk.sqlite");
    fs.writeFileSync(junk, "this is not a database, just some text that is long enough".repeat(100));
    expectStoreError(() => openStore(junk, MIGRATIONS), /junk\.sqlite.*not a database/);
  });

  it("tx commits, returns the value, and rolls everything back on a throw", function () {
    const store = track(openStore(":memory:", MIGRATIONS));
    const insert = store.db.prepare("INSERT INTO processes (id, created_at) VALUES (?, ?)");
    expect(store.tx(() => insert.run("a", 1).changes)).to.equal(1);
    const boom = new Error("boom");
    let caught: unknown;
    try {
      store.tx(() => {
        insert.run("b", 2);
        insert.run("c", 3);
        throw boom;
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).to.equal(boom);
    expect(store.db.prepare("SELECT id FROM processes ORDER BY id").pluck().all()).to.deep.equal(["a"]);
  });

  it("tx nests as a savepoint: an inner failure caught by the outer function keeps the outer writes", function () {
    const store = track(openStore(":memory:", MIGRATIONS));
    const insert = store.db.prepare("INSERT INTO processes (id, created_at) VALUES (?, ?)");
    store.tx(() => {
      insert.run("outer", 1);
      try {
        store.tx(() => {
          insert.run("inner", 2);
          throw new Error("inner");
        });
      } catch {
        // the inner savepoint is rolled back
      }
    });
    expect(store.db.prepare("SELECT id FROM processes").pluck().all()).to.deep.equal(["outer"]);
  });

  it("prepare keeps statements by SQL text and hands them back in the default row mode", function () {
    const store = track(openStore(":memory:", MIGRATIONS));
    const insert = store.db.prepare("INSERT INTO processes (id, created_at) VALUES (?, ?)");
    expect(store.db.prepare("INSERT INTO processes (id, created_at) VALUES (?, ?)")).to.equal(insert);
    insert.run("p", 1);
    const sql = "SELECT id FROM processes";
    expect(store.db.prepare(sql).pluck().all()).to.deep.equal(["p"]);
    expect(store.db.prepare(sql).all()).to.deep.equal([{ id: "p" }]);
    expect(store.db.prepare(sql).raw().all()).to.deep.equal([["p"]]);
    expect(store.db.prepare(sql).get()).to.deep.equal({ id: "p" });
    // bad SQL is still refused, every time
    expect(() => store.db.prepare("SELECT nope FROM processes")).to.throw(/no such column/);
    expect(() => store.db.prepare("SELECT nope FROM processes")).to.throw(/no such column/);
  });

  it("tx refuses an async function and rolls back what it did synchronously", async function () {
    const store = track(openStore(":memory:", MIGRATIONS));
    expectStoreError(
      () =>
        store.tx(async () => {
          store.db.prepare("INSERT INTO processes (id, created_at) VALUES ('x', 1)").run();
        }),
      /the function returned a promise; a transaction must be synchronous/,
    );
    expect(store.db.prepare("SELECT count(*) FROM processes").pluck().get()).to.equal(0);
  });

  it("meta stores JSON values durably, overwrites, deletes and refuses what JSON cannot hold", function () {
    const file = path.join(dir, "meta.sqlite");
    let store = openStore(file, MIGRATIONS);
    expect(store.meta.get("cursor")).to.equal(undefined);
    store.meta.set("cursor", { block: 10, hash: "0xaa" });
    store.meta.set("cursor", { block: 11, hash: "0xbb" });
    store.meta.set("flag", false);
    store.meta.set("nothing", null);
    store.close();

    store = track(openStore(file, MIGRATIONS));
    expect(store.meta.get<{ block: number }>("cursor")).to.deep.equal({ block: 11, hash: "0xbb" });
    expect(store.meta.get("flag")).to.equal(false);
    expect(store.meta.get("nothing")).to.equal(null);
    expect(store.meta.delete("flag")).to.equal(true);
    expect(store.meta.delete("flag")).to.equal(false);
    expect(store.meta.get("flag")).to.equal(undefined);

    expectStoreError(
      () => store.meta.set("x", undefined),
      /meta\.set\("x"\): the value \(undefined\) has no JSON form/,
    );
    expectStoreError(() => store.meta.set("x", 1n), /meta\.set\("x"\): the value cannot be stored as JSON/);
    expectStoreError(() => store.meta.get(""), /meta\.get: the key must be a non-empty string/);
  });

  it("meta writes take part in transactions", function () {
    const store = track(openStore(":memory:", []));
    expect(store.version).to.equal(0);
    expect(() =>
      store.tx(() => {
        store.meta.set("cursor", 5);
        throw new Error("crash before commit");
      }),
    ).to.throw("crash before commit");
    expect(store.meta.get("cursor")).to.equal(undefined);
  });

  it("close is idempotent", function () {
    const store = openStore(":memory:", MIGRATIONS);
    store.close();
    store.close();
    expect(store.db.open).to.equal(false);
  });

  it("keeps a committed write when the writer is killed with SIGKILL right after it", async function () {
    this.timeout(30_000);
    const file = path.join(dir, "crash.sqlite");
    const script = `
      const { openStore } = require("./agents/common/store");
      const migrations = JSON.parse(process.env.MIGRATIONS);
      const store = openStore(process.env.DB, migrations);
      store.tx((db) => {
        db.prepare("INSERT INTO processes (id, created_at) VALUES ('p1', 1)").run();
        db.prepare("INSERT INTO assignments (process, slot, message) VALUES ('p1', 0, 'm0')").run();
      });
      store.meta.set("cursor", { slot: 0 });
      process.kill(process.pid, "SIGKILL");
    `;
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DB: file,
        MIGRATIONS: JSON.stringify(MIGRATIONS),
        TS_NODE_TRANSPILE_ONLY: "true",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on("exit", (c, s) => resolve([c, s])),
    );
    expect(signal, stderr).to.equal("SIGKILL");
    expect(code).to.equal(null);
    // never checkpointed or closed: the rows live in the WAL, which recovery must replay
    expect(fs.existsSync(file + "-wal")).to.equal(true);
    expect(fs.statSync(file + "-wal").size).to.be.greaterThan(0);

    const store = track(openStore(file, MIGRATIONS));
    expect(store.db.prepare("SELECT process, slot, message FROM assignments").all()).to.deep.equal([
      { process: "p1", slot: 0, message: "m0" },
    ]);
    expect(store.meta.get("cursor")).to.deep.equal({ slot: 0 });
    expect(store.db.pragma("integrity_check", { simple: true })).to.equal("ok");
  });
});
