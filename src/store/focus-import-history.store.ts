import type { FocusImportHistory } from '../domain/ports';
import type { FocusCostColumn, FocusImportRecord } from '../domain/model';
import { fromClickHouseTime, toClickHouseTime } from '../domain/days';
import type { Db } from './db';

interface HistoryRow {
  id: string;
  organization_id: string;
  started_at: string;
  finished_at: string;
  state: FocusImportRecord['state'];
  files: string[];
  cost_column: FocusCostColumn;
  rows_read: string | number;
  rows_imported: string | number;
  rows_refused: string | number;
  total_cost: number;
  first_day: string | null;
  last_day: string | null;
  error: string;
}

/** The import history in ClickHouse (focus_imports, append-only, 90 days). */
export class ClickHouseFocusImportHistory implements FocusImportHistory {
  constructor(private readonly db: Db) {}

  async record(entry: FocusImportRecord): Promise<void> {
    await this.db.insert('focus_imports', [
      {
        organization_id: entry.organizationId,
        id: entry.id,
        started_at: toClickHouseTime(entry.startedAt),
        finished_at: toClickHouseTime(entry.finishedAt),
        state: entry.state,
        files: entry.files,
        cost_column: entry.costColumn,
        rows_read: entry.rowsRead,
        rows_imported: entry.rowsImported,
        rows_refused: entry.rowsRefused,
        total_cost: entry.totalCost,
        first_day: entry.firstDay,
        last_day: entry.lastDay,
        error: entry.error ?? '',
      },
    ]);
  }

  async list(organizationId: string, first: number): Promise<FocusImportRecord[]> {
    const rows = await this.db.query<HistoryRow>(
      `SELECT id, organization_id, toString(started_at) AS started_at, toString(finished_at) AS finished_at,
              state, files, cost_column, rows_read, rows_imported, rows_refused, total_cost,
              toString(first_day) AS first_day, toString(last_day) AS last_day, error
       FROM {db:Identifier}.focus_imports
       WHERE organization_id = {org:String}
       ORDER BY started_at DESC, id DESC
       LIMIT {first:UInt32}`,
      { org: organizationId, first },
    );
    return rows.map((row) => ({
      id: row.id,
      organizationId: row.organization_id,
      startedAt: fromClickHouseTime(row.started_at),
      finishedAt: fromClickHouseTime(row.finished_at),
      state: row.state,
      files: row.files,
      costColumn: row.cost_column,
      rowsRead: Number(row.rows_read),
      rowsImported: Number(row.rows_imported),
      rowsRefused: Number(row.rows_refused),
      totalCost: row.total_cost,
      firstDay: row.first_day,
      lastDay: row.last_day,
      error: row.error === '' ? null : row.error,
    }));
  }
}
