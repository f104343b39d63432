/**
 * One DuckDB in-memory database per prepare run. DuckDB reads json(.gz)/CSV/Parquet out of core
 * and spills to a temp folder, so full Amazon category files fit.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import os from 'node:os';

/** `UNICTR_PROFILE=1` prints each statement's wall time to stderr. */
const PROFILE = process.env.UNICTR_PROFILE === '1';

export class Duck {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async open(tempDir: string): Promise<Duck> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(Math.max(1, Math.min(4, os.cpus().length))),
      temp_directory: tempDir,
      preserve_insertion_order: 'true',
    });
    const conn = await instance.connect();
    return new Duck(instance, conn);
  }

  async exec(sql: string): Promise<void> {
    const t = PROFILE ? performance.now() : 0;
    await this.conn.run(sql);
    if (PROFILE) process.stderr.write(`[duck ${((performance.now() - t) / 1000).toFixed(2)}s] ${sql.trim().slice(0, 90).replace(/\s+/g, ' ')}\n`);
  }

  /** Rows as plain JS objects (small results only). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const t = PROFILE ? performance.now() : 0;
    const r = await this.conn.runAndReadAll(sql);
    if (PROFILE) process.stderr.write(`[duck ${((performance.now() - t) / 1000).toFixed(2)}s] ${sql.trim().slice(0, 90).replace(/\s+/g, ' ')}\n`);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  }

  async one(sql: string): Promise<Record<string, unknown> | undefined> {
    return (await this.rows(sql))[0];
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** SQL string literal. */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** SQL identifier. */
export function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
