/** A run of a few steps on 200 MNIST images, one evaluation at the end: seconds, not minutes. */
export const TINY_BASE = {
  dataset: { name: 'mnist', validationSize: 50, limitTrain: 200, limitTest: 50 },
  model: { arch: 'lip-cnn' },
  optimizer: { kind: 'adam', lr: 0.002 },
  batchSize: 25,
  maxSteps: 6,
  backend: 'wasm',
  evaluation: { everySteps: 6, trainSubset: 50, exactNorm: false, gramIterations: 0, operatorIterations: 3 },
  checkpoints: { enabled: false },
};
