/** What a LabService is built from (app/create.ts in the app and `serve`; fakes in tests). */
import type { LabInfo, MissingPiece, Preset, RunStatus } from '../../shared/api.js';
import type { Reporter } from '../report/lab-report.js';
import type { ModelAnalysisControl } from './model-analyses.js';
import type { EnginePort, StorePort } from './ports.js';
import type { SweepControl } from './sweeps.js';
import type { ReproduceControl } from './reproduce.js';

export interface LabServiceOptions {
  engine: EnginePort;
  store: StorePort;
  dataDir: string;
  shell: LabInfo['shell'];
  version: string;
  versions?: { electron: string | null; chrome: string | null };
  maxConcurrent?: number;
  presets?: () => Preset[];
  /** Writes the report of runs and model analyses (HTML, or printed to PDF by the shell's printer); absent: getReport is 'unavailable'. */
  report?: Reporter;
  missing?: () => MissingPiece[];
  /** Wait this long for pause/resume/cancel to take effect before answering (ms). */
  controlWaitMs?: number;
  log?: (message: string) => void;
  /** Sweeps and the store's persistent queue (app/sweeps.ts); without it the sweep methods answer 'unavailable'. */
  sweeps?: SweepControl;
  /** Imported-network analyses (app/model-analyses.ts); without it the model methods answer 'unavailable'. */
  models?: ModelAnalysisControl;
  /** The paper's experiments (app/reproduce.ts); without it the reproduce methods answer 'unavailable'. */
  reproduce?: ReproduceControl;
  /** Runs other processes write into the same store (app/external-runs.ts): pause/resume/cancel reach them; null = not one of those. */
  external?: { control(runId: string, action: 'pause' | 'resume' | 'cancel'): Promise<RunStatus | null> };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
