/**
 * Schema version 9 and its rows: analyses of imported networks (ONNX / tfjs LayersModel), stored beside the
 * runs so the Models view can list, reopen and compare them. The analysis is kept whole as JSON (the
 * ModelAnalysis contract, shared/model-analysis.ts); the columns are what the list shows and sorts by.
 */
import crypto from 'node:crypto';
import type { ModelAnalysis, ModelAnalysisSummary } from '../../shared/model-analysis.js';
import type { Migration } from './schema.js';
import type { SqliteDb } from './sqlite.js';

const V9_MODEL_ANALYSES = `
CREATE TABLE model_analyses (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('onnx', 'tfjs')),
  created_at INTEGER NOT NULL,
  layers INTEGER NOT NULL CHECK (layers >= 0),
  lipschitz REAL,
  analysis TEXT NOT NULL
);
CREATE INDEX model_analyses_created ON model_analyses (created_at);
`;

export const MIGRATION_9: Migration = {
  version: 9,
  name: 'analyses of imported networks (ONNX, tfjs)',
  up: async (db) => {
    await db.exec(V9_MODEL_ANALYSES);
  },
};

export type { ModelAnalysisSummary };

interface Row {
  id: string;
  name: string;
  format: 'onnx' | 'tfjs';
  created_at: number;
  layers: number;
  lipschitz: number | null;
  analysis?: string;
}

const summaryOf = (r: Row): ModelAnalysisSummary => ({
  id: r.id,
  name: r.name,
  format: r.format,
  createdAt: r.created_at,
  layers: r.layers,
  lipschitz: r.lipschitz,
});

export interface ModelAnalysisContext {
  read(): SqliteDb;
  write(): SqliteDb;
  guard<T>(fn: () => Promise<T>): Promise<T>;
}

export class ModelAnalysisStore {
  constructor(private readonly c: ModelAnalysisContext) {}

  add(name: string, analysis: ModelAnalysis, at = Date.now()): Promise<ModelAnalysisSummary> {
    return this.c.guard(async () => {
      const row: Row = {
        id: `model-${crypto.randomUUID()}`,
        name,
        format: analysis.model.format,
        created_at: at,
        layers: analysis.layers.length,
        lipschitz: analysis.lipschitz_upper_bound,
      };
      await this.c
        .write()
        .run(
          'INSERT INTO model_analyses (id, name, format, created_at, layers, lipschitz, analysis) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [row.id, row.name, row.format, row.created_at, row.layers, row.lipschitz, JSON.stringify(analysis)],
        );
      return summaryOf(row);
    });
  }

  list(): Promise<ModelAnalysisSummary[]> {
    return this.c.guard(async () =>
      (
        await this.c
          .read()
          .all<Row>(
            'SELECT id, name, format, created_at, layers, lipschitz FROM model_analyses ORDER BY created_at DESC',
          )
      ).map(summaryOf),
    );
  }

  /** The stored analysis, or null for an unknown id. */
  get(id: string): Promise<{ summary: ModelAnalysisSummary; analysis: ModelAnalysis } | null> {
    return this.c.guard(async () => {
      const r = await this.c.read().get<Row>('SELECT * FROM model_analyses WHERE id = ?', [id]);
      return r ? { summary: summaryOf(r), analysis: JSON.parse(r.analysis as string) as ModelAnalysis } : null;
    });
  }

  remove(id: string): Promise<boolean> {
    return this.c.guard(
      async () => (await this.c.write().run('DELETE FROM model_analyses WHERE id = ?', [id])).changes > 0,
    );
  }
}
