import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "../../lib/runtime/tfjs";
import { useBackend } from "../../lib/runtime";
import { bindingLine, largestBatch, measureStepMemory, stepBytes } from "../../lib/train/step-memory";

/**
 * A step in two phases: first a fixed 4 MB block (a large classifier's gradients), freed; then
 * 64 KB per sample (activations). At small batches the fixed block is the peak, at large ones the
 * activations are: a line through two small-batch peaks would miss the second phase.
 */
function twoPhaseStep(batch: number): void {
  tf.tidy(() => tf.add(tf.zeros([1 << 20]), 1)).dispose();
  tf.tidy(() => tf.add(tf.zeros([batch, 1 << 14]), 1)).dispose();
}

test("step memory: a line per kernel predicts the peak at any batch, even where the peak moves to another phase of the step", async () => {
  await useBackend("cpu");
  const memory = await measureStepMemory(twoPhaseStep, [2, 4]);
  assert.ok(memory.peakBytes[0] === memory.peakBytes[1], "at batches 2 and 4 the fixed block is the peak");
  for (const batch of [1, 8, 100, 1000]) {
    const info = await tf.profile(() => twoPhaseStep(batch));
    assert.equal(stepBytes(memory, batch), info.peakBytes, `batch ${batch}`);
  }
  // Activations bind at large batches: 2 × 64 KB per sample (zeros and the sum are both alive).
  assert.equal(bindingLine(memory, 1000).perSampleBytes, 2 * 65536);
  const limit = 64 * 2 ** 20;
  const largest = largestBatch(memory, limit, 1);
  assert.ok(stepBytes(memory, largest) <= limit && stepBytes(memory, largest + 1) > limit, `largest ${largest}`);
  assert.equal(largestBatch(memory, 4 * 2 ** 20, 1), 0, "not even one sample fits beside the fixed block");
  await assert.rejects(measureStepMemory(twoPhaseStep, [4, 4]), /two increasing positive batches/);
});
