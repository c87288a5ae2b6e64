/**
 * The Models view's side of the lab: a network uploaded as bytes (ONNX, or a tfjs model.json with its shards) is
 * written to a private temporary folder, opened with the importers and analysed in a worker thread (certified on a
 * labelled set when asked), stored (store migration 9) and the folder removed. Import errors become 'bad-request' with the reader's
 * message, which names the file and the problem.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LabError } from '../../shared/api.js';
import type {
  ModelAnalysisRequest,
  ModelAnalysisSummary,
  ModelUpload,
  StoredModelAnalysis,
} from '../../shared/model-analysis.js';
import { ModelImportError } from '../engine/models/imported/index.js';
import { analyseInWorker } from '../engine/models/imported/analysis-host.js';
import type { ModelAnalysisStore } from '../store/model-analyses.js';

/** The file to open among the uploaded ones: the .onnx file, else model.json (or the only .json). */
export function mainModelFile(names: string[]): string {
  const onnx = names.filter((n) => n.toLowerCase().endsWith('.onnx'));
  const json = names.filter((n) => n.toLowerCase().endsWith('.json'));
  if (onnx.length === 1) return onnx[0];
  if (json.length === 1) return json[0];
  if (json.includes('model.json')) return 'model.json';
  throw new LabError(
    'bad-request',
    `Cannot tell which file is the model among ${names.join(', ') || 'no files'}.`,
    'Open one .onnx file (with its external data files), or a tfjs model.json together with its weight shards.',
  );
}

export class ModelAnalysisControl {
  constructor(private readonly store: ModelAnalysisStore) {}

  /** `onLayer` hears of every weight layer bounded (the view's progress). */
  async analyse(
    upload: ModelUpload,
    request: ModelAnalysisRequest = {},
    onLayer?: (done: number, total: number, layer: string) => void,
  ): Promise<StoredModelAnalysis> {
    const names = upload.files.map((f) => f.name);
    for (const n of names) {
      if (basename(n) !== n || n.startsWith('.'))
        throw new LabError(
          'bad-request',
          `Upload file name '${n}' is not a plain file name.`,
          'Send the model files by their names only, without folders.',
        );
    }
    const main = mainModelFile(names);
    const dir = mkdtempSync(join(tmpdir(), 'spectral-lab-model-'));
    try {
      for (const f of upload.files) writeFileSync(join(dir, f.name), Buffer.from(f.base64, 'base64'));
      // In a worker thread: the bounds of a large network take minutes, and this process serves every window.
      const analysis = await analyseInWorker({ dir, main, request }, onLayer);
      // The temporary path means nothing to the user: keep the name of the file they opened.
      analysis.model.file = main;
      const summary = await this.store.add(request.name ?? main, analysis);
      return { summary, analysis };
    } catch (err) {
      if (err instanceof ModelImportError) {
        throw new LabError(
          'bad-request',
          err.message.split(dir + '/').join(''),
          'Open an ONNX file (torch.onnx.export) or a tfjs model.json with its shards; see the message for what to change.',
        );
      }
      throw err;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  list(): Promise<ModelAnalysisSummary[]> {
    return this.store.list();
  }

  async get(id: string): Promise<StoredModelAnalysis> {
    const r = await this.store.get(id);
    if (!r) throw new LabError('not-found', `No model analysis '${id}'.`, 'Pick one from the list in the Models view.');
    return r;
  }

  async remove(id: string): Promise<{ id: string; deleted: boolean }> {
    const deleted = await this.store.remove(id);
    if (!deleted)
      throw new LabError(
        'not-found',
        `No model analysis '${id}'.`,
        'It may have been deleted already; reload the list.',
      );
    return { id, deleted };
  }
}
