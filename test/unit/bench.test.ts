import assert from "node:assert/strict";
import { test } from "node:test";
import { median, summarizePaired } from "../../lib/bench/paired";

test("paired rounds: the ratio is the median of per-round ratios, so a noise burst on one side in one round does not move it", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /no values/);
  // Round 2: the machine was slow for both sides; round 3: a burst hit only the peer.
  const s = summarizePaired([
    { ours: 500, peer: 1000 },
    { ours: 250, peer: 500 },
    { ours: 500, peer: 250 },
  ]);
  assert.equal(s.ratio, 0.5);
  assert.deepEqual(s.ratioRange, [0.5, 2]);
  assert.equal(s.ours, 500);
  assert.equal(s.peer, 500);
  assert.equal(s.rounds, 3);
  assert.throws(() => summarizePaired([]), /no rounds/);
  assert.throws(() => summarizePaired([{ ours: 1, peer: 0 }]), /positive and finite/);
  assert.throws(() => summarizePaired([{ ours: Number.NaN, peer: 1 }]), /positive and finite/);
});
