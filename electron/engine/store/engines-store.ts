import type { Db } from './database';

/** Live engine processes sharing this data dir (server, CLI, Electron), so each can tell whose jobs are orphaned. */
export class EnginesStore {
  constructor(private readonly db: Db) {}

  register(token: string, pid: number, host: string): void {
    const t = Date.now();
    this.db.prepare('INSERT INTO engines (token, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)').run(token, pid, host, t, t);
  }

  heartbeat(token: string): void {
    this.db.prepare('UPDATE engines SET heartbeat_at = ? WHERE token = ?').run(Date.now(), token);
  }

  unregister(token: string): void {
    this.db.prepare('DELETE FROM engines WHERE token = ?').run(token);
  }

  /** Drops engines whose process is gone or that stopped beating, and returns the live ones' tokens. */
  sweep(isAlive: (pid: number) => boolean, staleAfterMs: number): string[] {
    const rows = this.db.prepare('SELECT token, pid, heartbeat_at FROM engines').all() as { token: string; pid: number; heartbeat_at: number }[];
    const live: string[] = [];
    const cutoff = Date.now() - staleAfterMs;
    for (const r of rows) {
      if (isAlive(r.pid) && r.heartbeat_at >= cutoff) live.push(r.token);
      else this.unregister(r.token);
    }
    return live;
  }
}
