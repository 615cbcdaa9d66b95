/**
 * The training loop with callbacks: events arrive in order with the state they promise, a callback
 * can end training, early stopping counts patience as Keras does, and the pure loop writes nothing.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { buildMlp } from "../../lib/models";
import { useBackend } from "../../lib/runtime";
import { cicidsTask } from "../helpers/tasks";
import {
  defaultTrainConfig,
  earlyStopping,
  trainLoop,
  type EpochLog,
  type TrainingCallback,
  type TrainingState,
} from "../../lib/train";

const task = () => cicidsTask(300, 240, 4);

const model = () => buildMlp({ inputShape: [78], hidden: [8], classes: 15, dropout: 0, seed: 1 });

test("trainLoop calls each callback in order: begin, per epoch begin → steps → end, then end", async () => {
  await useBackend("cpu");
  const events: string[] = [];
  const recorder: TrainingCallback = {
    onTrainBegin: (s) => void events.push(`begin@${s.epoch}`),
    onEpochBegin: (e) => void events.push(`epoch ${e}`),
    onStepEnd: (e) => void events.push(`step ${e.epoch}.${e.step}/${e.steps} #${e.globalStep}`),
    onEpochEnd: (log, s) => void events.push(`end ${log.epoch} history=${s.history.length} steps=${s.step}`),
    onTrainEnd: () => void events.push("done"),
  };
  const config = { ...defaultTrainConfig, epochs: 2, batchSize: 100 };
  const before = readdirSync(".");
  const m = model();
  const result = await trainLoop(m, task(), config, { name: "mlp", config: null }, [recorder]);
  assert.deepEqual(events, [
    "begin@0",
    "epoch 1",
    "step 1.1/3 #1",
    "step 1.2/3 #2",
    "step 1.3/3 #3",
    "end 1 history=1 steps=3",
    "epoch 2",
    "step 2.1/3 #4",
    "step 2.2/3 #5",
    "step 2.3/3 #6",
    "end 2 history=2 steps=6",
    "done",
  ]);
  assert.equal(result.history.length, 2);
  assert.equal(result.checkpointDir, null);
  assert.deepEqual(readdirSync("."), before, "the loop itself writes no file");
  m.dispose();
});

test("a callback ends training by asking: the loop stops after that epoch and says it stopped early", async () => {
  await useBackend("cpu");
  const stopAtTwo: TrainingCallback = {
    onEpochEnd: (log, s) => {
      if (log.epoch === 2) s.stopRequested = true;
    },
  };
  const m = model();
  const result = await trainLoop(
    m,
    task(),
    { ...defaultTrainConfig, epochs: 5, batchSize: 60 },
    { name: "mlp", config: null },
    [stopAtTwo],
  );
  assert.equal(result.history.length, 2);
  assert.equal(result.stoppedEarly, true);
  m.dispose();
});

test("earlyStopping counts epochs without improvement and asks to stop at `patience`", () => {
  const callback = earlyStopping({ metric: "valLoss", patience: 2 });
  const state = { best: null, stopRequested: false } as unknown as TrainingState;
  const log = (epoch: number, valLoss: number) => ({ epoch, valLoss, valMacroF1: 0 }) as EpochLog;
  const waited: number[] = [];
  for (const [epoch, loss] of [
    [1, 1.0],
    [2, 0.8],
    [3, 0.9],
    [4, 0.7],
    [5, 0.75],
    [6, 0.71],
  ]) {
    void callback.onEpochEnd!(log(epoch, loss), state);
    waited.push(state.best!.waited);
    if (state.stopRequested) break;
  }
  assert.deepEqual(waited, [0, 0, 1, 0, 1, 2]);
  assert.equal(state.stopRequested, true);
  assert.deepEqual({ ...state.best }, { value: -0.7, epoch: 4, waited: 2 });
});
