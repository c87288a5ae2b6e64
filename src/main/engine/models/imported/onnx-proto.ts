/**
 * The generated onnx.proto classes. onnx-proto is CommonJS whose named exports Node's ESM loader cannot detect,
 * so it is loaded with require; the types come from its declarations.
 */
import { createRequire } from 'node:module';
import type * as OnnxProto from 'onnx-proto';

export const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof OnnxProto;
export type { onnx as OnnxTypes } from 'onnx-proto';
