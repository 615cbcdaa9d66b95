/**
 * One SqueezeNet-32 training measurement on one backend, in its own process:
 * node build/bench/squeezenet.js BACKEND BATCH STEPS → one JSON line (img/s after 3 warm-up steps).
 */
import * as tf from "@tensorflow/tfjs-core";
import { syntheticCifar } from "../lib/data/synthetic";
import { peakRssMBFromKernel } from "../lib/metrics/sampler";
import { buildSqueezeNet, parameterCount } from "../lib/models";
import { configureThreads, useBackend, type BackendName } from "../lib/runtime";

async function main(): Promise<void> {
  const [backend, batch, steps] = [process.argv[2] as BackendName, Number(process.argv[3]), Number(process.argv[4])];
  configureThreads();
  await useBackend(backend);
  const data = syntheticCifar({ count: batch, seed: 1 });
  const model = buildSqueezeNet();
  const optimizer = tf.train.adam(5e-4);
  const xs = tf.tensor4d(data.images, [batch, 32, 32, 3]);
  const ys = tf.oneHot(tf.tensor1d(Int32Array.from(data.labels), "int32"), 10);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const warmup = 3;
  let t0 = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) t0 = performance.now();
    const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
    await cost?.data();
    cost?.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ name: `edgelab ${backend}`, imgPerSec: (batch * steps) / seconds, parameters: parameterCount(model), peakRssMB: peakRssMBFromKernel() }));
}
void main();
