/**
 * Replacing a kernel the WASM backend already has, keeping the original reachable: some native
 * 4.22.0 kernels take a slow scalar path for common training shapes (BatchMatMul with a transposed
 * operand, Conv2DBackpropInput) and are re-expressed through its fast XNNPACK kernels, falling
 * back to the original where that does not apply.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';

const originals = new Map<string, KernelFunc>();

/** The backend's own implementation of `kernelName`, saved when it was overridden. */
export function originalWasmKernel(kernelName: string): KernelFunc {
  const k = originals.get(kernelName) ?? getKernel(kernelName, 'wasm')?.kernelFunc;
  if (!k)
    throw new Error(`The wasm backend has no ${kernelName} kernel to fall back to (tfjs-backend-wasm 4.22.0 has one).`);
  return k;
}

/**
 * Installs `kernelFunc` as the 'wasm' kernel `kernelName`, keeping the native setupFunc (it binds
 * the C++ function the fallback calls). Idempotent.
 */
export function overrideWasmKernel(kernelName: string, kernelFunc: KernelFunc): boolean {
  const current = getKernel(kernelName, 'wasm');
  if (!current) throw new Error(`Cannot override ${kernelName}: the wasm backend does not register it.`);
  if (current.kernelFunc === kernelFunc) return false;
  originals.set(kernelName, current.kernelFunc);
  unregisterKernel(kernelName, 'wasm');
  const config: KernelConfig = { ...current, kernelFunc };
  registerKernel(config);
  return true;
}
