/**
 * Importing the researcher's own network: open an ONNX file or a tfjs LayersModel (model.json), analyse it
 * (per-layer bounds, Lipschitz composition) and run it (forward pass from the same graph, certificates).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelImportError, type ImportedGraph } from './graph.js';
import { readOnnxModel } from './onnx.js';
import { readTfjsModel } from './tfjs-layers.js';

export { ModelImportError, type ImportedGraph } from './graph.js';
export { analyseModel, type AnalyseOptions } from './analyse.js';
export { inferShapes, type ShapedGraph } from './shapes.js';
export { ONNX_OPSET_RANGE } from './onnx.js';

/** A .json file or a folder holding model.json is a tfjs LayersModel; anything else is read as ONNX. */
export function openModel(path: string): ImportedGraph {
  if (!existsSync(path)) throw new ModelImportError(`${path}: no such file; give a .onnx file or a tfjs model.json.`);
  if (statSync(path).isDirectory()) {
    const json = join(path, 'model.json');
    if (!existsSync(json))
      throw new ModelImportError(`${path} is a folder without model.json; give a .onnx file or a tfjs model.json.`);
    return readTfjsModel(json);
  }
  return path.toLowerCase().endsWith('.json') ? readTfjsModel(path) : readOnnxModel(path);
}
