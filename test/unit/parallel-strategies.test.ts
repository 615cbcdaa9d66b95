/**
 * The synchronisation strategies without MPI: virtual ranks in one process, known inputs, and the
 * averages computed independently. Each test fails if a strategy skips its averaging or replaces
 * it with "keep root's values" (the MPI tests only check that ranks agree, which that would pass).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { scaleInPlace, weightedMean } from "../../lib/buffers";
import { buildMlp } from "../../lib/models";
import {
  allreduceGradients,
  epochAverage,
  fuseVariables,
  localSgd,
  meanOfRanks,
  SelfCommunicator,
  shardedEvaluation,
  synchronisation,
  trainDataParallel,
  virtualWorld,
  type SyncStrategy,
} from "../../lib/parallel";
import { useBackend } from "../../lib/runtime";
import { evaluate } from "../../lib/train/evaluate";
import { cicidsTask } from "../helpers/tasks";

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-6): void => {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `[${i}] ${got[i]} vs ${want[i]}`);
};

test("meanOfRanks and weightedMean: the averages every strategy is built on", () => {
  close(meanOfRanks(Float32Array.of(1, 2, 3, 6, 5, 10), 3), [3, 6]);
  close(weightedMean([Float32Array.of(1, 2), Float32Array.of(5, 6)], [3, 1]), [2, 3]);
  assert.throws(() => meanOfRanks(new Float32Array(5), 2), /do not split into 2 ranks/);
});

test("scaleInPlace scales exactly the view it is given, through OpenBLAS (long buffers) or the loop (short ones)", () => {
  for (const n of [5, 3000]) {
    const buf = Float32Array.from({ length: n + 4 }, (_, i) => i - 7.5);
    const want = Array.from(buf, (v, i) => (i >= 2 && i < n + 2 ? Math.fround(v * 0.3) : v));
    scaleInPlace(buf.subarray(2, n + 2), 0.3);
    close(buf, want, 1e-3); // float32 rounding of values up to 900
  }
});

test("allreduceGradients: every rank applies the share-weighted mean gradient and reports the global mean loss", async () => {
  await useBackend("cpu");
  const world = virtualWorld(2);
  const hooks = world.map((comm) => allreduceGradients(comm));
  // Rank 0 averaged over 3 samples, rank 1 over 1: the global-batch mean weights them 3 : 1.
  const grads = [{ w: tf.tensor1d([1, 2]) }, { w: tf.tensor1d([5, 6]) }];
  const shares = [3, 1];
  const out = await Promise.all(hooks.map((h, r) => h.gradients!(grads[r], shares[r], [1, 3][r])));
  for (const g of out) close(g.w.dataSync(), [2, 3]);
  // The loss rode in the same allreduce: (3·1 + 1·3) / 4 on both ranks, with no collective of its own.
  const losses = await Promise.all(hooks.map((h, r) => h.loss!([1, 3][r], shares[r])));
  assert.deepEqual(losses, [1.5, 1.5]);
  // Each rank takes every size-th sample of the same global batch.
  const order = Int32Array.from({ length: 8 }, (_, i) => 10 + i);
  assert.deepEqual([...hooks[0].batchIndices!(order, 1, 4)], [14, 16]);
  assert.deepEqual([...hooks[1].batchIndices!(order, 1, 4)], [15, 17]);
  tf.dispose([...grads.flatMap((g) => Object.values(g)), ...out.flatMap((g) => Object.values(g))]);
});

test("epochAverage: after the epoch every rank holds the element-wise mean of all ranks' weights", async () => {
  await useBackend("cpu");
  const world = virtualWorld(3);
  const vars = world.map((_, r) => [tf.variable(tf.tensor1d([r, 2 * r, 10])), tf.variable(tf.tensor2d([[r * r]]))]);
  await Promise.all(world.map((comm, r) => epochAverage(comm).afterEpoch!(1, vars[r])));
  // ranks hold (0,0,10,0), (1,2,10,1), (2,4,10,4): the mean is (1, 2, 10, 5/3)
  for (const v of vars) close(fuseVariables(v), [1, 2, 10, 5 / 3]);
  tf.dispose(vars.flat());
});

test("localSgd(k): weights stay each rank's own between rounds and are averaged every k-th step", async () => {
  await useBackend("cpu");
  const world = virtualWorld(2);
  const hooks = world.map((comm) => localSgd(comm, 2, 10));
  assert.equal(hooks[0].stepsPerEpoch!(100, 8), 10, "every rank runs the agreed number of steps");
  const vars = [[tf.variable(tf.tensor1d([1, 1]))], [tf.variable(tf.tensor1d([3, 5]))]];
  await Promise.all(hooks.map((h, r) => h.afterStep!(1, vars[r])));
  close(fuseVariables(vars[0]), [1, 1]);
  close(fuseVariables(vars[1]), [3, 5]);
  await Promise.all(hooks.map((h, r) => h.afterStep!(2, vars[r])));
  for (const v of vars) close(fuseVariables(v), [2, 3]);
  tf.dispose(vars.flat());
});

test("synchronisation(): one object per strategy answers what the trainer, the simulator and the cost model ask", () => {
  const labels = new Uint8Array(10);
  const [rank0, rank1] = virtualWorld(2);
  const spec = (kind: string): SyncStrategy => (kind === "local-sgd" ? { kind, k: 4 } : { kind }) as SyncStrategy;
  const [allreduce, average, local] = ["allreduce", "epoch-average", "local-sgd"].map((k) => synchronisation(spec(k)));
  assert.deepEqual([allreduce.label, average.label, local.label], ["allreduce", "epoch-average", "local-sgd:4"]);
  assert.deepEqual([allreduce.globalBatch, average.globalBatch, local.globalBatch], [true, false, false]);
  assert.equal(allreduce.shard(labels, rank1, { kind: "strided" }), null, "allreduce shares each global batch");
  assert.deepEqual([...average.shard(labels, rank1, { kind: "strided" })!], [1, 3, 5, 7, 9]);
  assert.deepEqual(
    [...average.shard(labels, rank0, { kind: "contiguous" })!],
    [0, 1, 2, 3, 4],
    "the partitioner is used",
  );
  // 1,000 samples, 10 per rank and step, 2 ranks: 50 global steps
  assert.deepEqual(allreduce.communication(1000, 10, 2), { allreduces: 50, gatherBcasts: 0 });
  assert.deepEqual(average.communication(1000, 10, 2), { allreduces: 0, gatherBcasts: 1 });
  assert.deepEqual(local.communication(1000, 10, 2), { allreduces: 12, gatherBcasts: 0 });
});

test("shardedEvaluation: each rank evaluates a disjoint strided share, and every rank gets every prediction, root's state and the mean loss", async () => {
  await useBackend("cpu");
  const n = 11;
  const world = virtualWorld(3);
  const state = world.map((comm) => tf.variable(tf.fill([2], comm.rank + 1)));
  const seen: number[][] = [];
  // A stand-in model: predicts i·7 mod 5 for sample i, and its loss on a share is the mean index.
  const evaluateSamples = (r: number) => (indices: Int32Array) => {
    seen[r] = [...indices];
    return {
      loss: indices.reduce((a, b) => a + b, 0) / indices.length,
      predictions: indices.map((i) => (i * 7) % 5),
    };
  };
  const out = await Promise.all(world.map((comm, r) => shardedEvaluation(comm, [state[r]])(n, evaluateSamples(r))));
  assert.deepEqual(seen, [
    [0, 3, 6, 9],
    [1, 4, 7, 10],
    [2, 5, 8],
  ]);
  for (const o of out) {
    assert.deepEqual(
      [...o.predictions],
      Array.from({ length: n }, (_, i) => (i * 7) % 5),
    );
    assert.ok(Math.abs(o.loss - 5) < 1e-6, `mean loss ${o.loss}`); // (0 + … + 10) / 11
  }
  for (const v of state) assert.deepEqual([...v.dataSync()], [1, 1]);
  // Fewer samples than ranks: the ranks left without a share still take part in the collective.
  const few = await Promise.all(world.map((comm, r) => shardedEvaluation(comm, [])(2, evaluateSamples(r))));
  for (const o of few) assert.deepEqual([...o.predictions], [0, 2]);
  tf.dispose(state);
});

const smallTask = () => cicidsTask(400, 320, 3);

test("two virtual ranks with allreduce train to the weights one process reaches on the same global batch", async () => {
  await useBackend("cpu");
  const data = smallTask();
  const config = {
    sync: { kind: "allreduce" } as const,
    batchSize: 32,
    ranksPerNode: 2,
    train: { epochs: 2, learningRate: 3e-3, seed: 1, progress: "none" as const },
  };
  const build = (seed: number) => buildMlp({ inputShape: [78], hidden: [16], classes: 15, dropout: 0, seed });
  const single = build(0);
  await trainDataParallel(single, data, config, new SelfCommunicator());
  const world = virtualWorld(2);
  const models = world.map((comm) => build(comm.rank)); // rank 1 starts elsewhere: root's weights are broadcast
  const runs = await Promise.all(world.map((comm, r) => trainDataParallel(models[r], data, config, comm)));
  const weights = (m: ReturnType<typeof build>) =>
    fuseVariables(m.trainableWeights.map((w) => w.read() as tf.Variable));
  close(weights(models[0]), weights(single), 1e-5);
  close(weights(models[1]), weights(models[0]), 0);
  // The ranks shared the evaluation: root's predictions are those of its own model on every sample.
  const own = evaluate(models[0], data.val, 15);
  assert.deepEqual([...runs[0].result.predictions], [...own.predictions]);
  assert.deepEqual([...runs[1].result.predictions], [...own.predictions]);
  assert.ok(Math.abs(runs[0].result.history[1].valLoss - own.loss) < 1e-5);
  [single, ...models].forEach((m) => m.dispose());
});

test("early stopping with virtual ranks: root decides from its validation set and every rank stops in the same epoch", async () => {
  await useBackend("cpu");
  const data = smallTask();
  for (const learningRate of [3e-3, 1e-1]) {
    const world = virtualWorld(2);
    const models = world.map((comm) =>
      buildMlp({ inputShape: [78], hidden: [16], classes: 15, dropout: 0, seed: comm.rank }),
    );
    const runs = await Promise.all(
      world.map((comm, r) =>
        trainDataParallel(
          models[r],
          data,
          {
            sync: { kind: "epoch-average" },
            batchSize: 16,
            ranksPerNode: 2,
            train: {
              epochs: 8,
              learningRate,
              seed: 2,
              progress: "none",
              earlyStopping: { metric: "valLoss", patience: 1 },
            },
          },
          comm,
        ),
      ),
    );
    const epochs = runs.map((run) => run.result.history.length);
    assert.equal(epochs[1], epochs[0], `lr ${learningRate}: ranks ran ${epochs.join(" and ")} epochs`);
    assert.equal(runs[1].result.stoppedEarly, runs[0].result.stoppedEarly);
    models.forEach((m) => m.dispose());
  }
});
