import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

/** The database and its WAL and shared-memory files: private to the user (they hold settings and history). */
export const DB_FILE_SUFFIXES = ['', '-wal', '-shm', '-journal'] as const;

/**
 * Creates the database file 0600 before SQLite opens it (SQLite gives the -wal and -shm files its mode) and tightens
 * files an older Whittle left 0644.
 */
function restrictDbFiles(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  if (process.platform === 'win32') return;
  for (const suffix of DB_FILE_SUFFIXES) {
    try {
      chmodSync(file + suffix, 0o600);
    } catch {
      // not there
    }
  }
}

/** Opens (creating if needed) the app database in WAL mode and brings its schema up to date. */
export function openDatabase(file: string): Db {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  restrictDbFiles(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // Deleted and overwritten content is zeroed, not left in free space (an old /v1 key, a removed conversation).
  db.pragma('secure_delete = ON');
  restrictDbFiles(file);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, file);
  return db;
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  return row.user_version;
}

function migrate(db: Db, file: string): void {
  const from = schemaVersion(db);
  if (from > MIGRATIONS.length) {
    throw new DatabaseError(`${file} has schema version ${from}, newer than this Whittle knows (${MIGRATIONS.length}); update Whittle.`);
  }
  if (from === MIGRATIONS.length) return;
  // Table rebuilds (SQLite's documented way to change a CHECK) must not fire the foreign-key actions of DROP TABLE.
  db.pragma('foreign_keys = OFF');
  try {
    for (let v = from; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        const broken = db.prepare('PRAGMA foreign_key_check').all();
        if (broken.length) throw new DatabaseError(`${file}: migration ${v + 1} left ${broken.length} broken references`);
        db.exec(`PRAGMA user_version = ${v + 1}`);
      }).immediate();
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

export function integrityCheck(db: Db): string[] {
  const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check);
}
