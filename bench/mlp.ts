/**
 * One MLP training measurement (Fashion-MNIST, 784-128-10, Adam, batch 64) on one tfjs backend,
 * in its own process: node build/bench/mlp.js BACKEND SAMPLES → one JSON line.
 */
import { fashionMnistOrSynthetic, selectImages } from "../lib/data";
import { peakRssMBFromKernel } from "../lib/metrics/sampler";
import { buildMlp } from "../lib/models";
import { configureThreads, useBackend, type BackendName } from "../lib/runtime";
import { toArrayData, train } from "../lib/train";

async function main(): Promise<void> {
  const backend = process.argv[2] as BackendName;
  const samples = Number(process.argv[3]);
  configureThreads();
  await useBackend(backend);
  const ds = fashionMnistOrSynthetic();
  const trainSet = selectImages(
    ds.train,
    Int32Array.from({ length: samples }, (_, i) => i),
  );
  const testSet = selectImages(
    ds.test,
    Int32Array.from({ length: 500 }, (_, i) => i),
  );
  const model = buildMlp({ inputShape: [28, 28, 1], hidden: [128], classes: 10, dropout: 0 });
  const result = await train(
    model,
    { train: toArrayData(trainSet), val: toArrayData(testSet), classNames: ds.train.classNames },
    { epochs: 1, batchSize: 64, progress: "none" },
  );
  console.log(
    JSON.stringify({
      name: `edgelab ${backend}`,
      dataset: ds.name,
      samplesPerSec: result.history[0].samplesPerSec,
      seconds: result.history[0].seconds,
      peakRssMB: peakRssMBFromKernel(),
    }),
  );
}
void main();
