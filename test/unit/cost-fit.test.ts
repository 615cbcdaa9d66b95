import assert from "node:assert/strict";
import { test } from "node:test";
import { costTerms, fitCostModel, leaveOneOut, type TimedRun } from "../../lib/parallel/cost-fit";
import { paperTable2 } from "../../lib/parallel/paper";

const straggler = {
  name: "straggler",
  terms: [costTerms.workBelow(4), costTerms.straggler(4), costTerms.serial],
};

test("a fit recovers the coefficients that generated the times, and leave-one-out is then exact", () => {
  const runs: TimedRun[] = [2, 4, 8, 16, 24, 48].map((np) => {
    const nodes = np / 2;
    return { np, nodes, epochs: 10, seconds: 10 * ((nodes < 4 ? 1000 : 1900) / np + 7) };
  });
  const model = fitCostModel(straggler, runs);
  const [w, s, e] = Object.values(model.coefficients);
  assert.ok(Math.abs(w - 1000) < 1e-6 && Math.abs(s - 1900) < 1e-6 && Math.abs(e - 7) < 1e-9, `${w} ${s} ${e}`);
  const contributions = model.contributions(runs[3]);
  assert.ok(Math.abs(contributions["slowest node S/np (≥ 4 nodes)"] - (10 * 1900) / 16) < 1e-6);
  for (const { error } of leaveOneOut(straggler, runs)) assert.ok(Math.abs(error) < 1e-9);
  assert.throws(() => fitCostModel(straggler, runs.slice(0, 2)), /3 terms need at least 3 runs/);
});

test("on the paper's Table 2 a slowest-node term predicts every np better than the α–β model's two terms", () => {
  const runs = paperTable2.map((r) => ({ np: r.np, nodes: r.nodes, epochs: 10, seconds: r.seconds }));
  const worst = (spec: typeof straggler): number => Math.max(...leaveOneOut(spec, runs).map((r) => Math.abs(r.error)));
  const alphaBeta = { name: "α–β", terms: [costTerms.work, costTerms.serial] };
  assert.ok(worst(straggler) < worst(alphaBeta) / 2, `${worst(straggler)} vs ${worst(alphaBeta)}`);
  const fitted = fitCostModel(straggler, runs);
  const slowdown = fitted.coefficients["slowest node S/np (≥ 4 nodes)"] / fitted.coefficients["work W/np (< 4 nodes)"];
  assert.ok(slowdown > 1.5 && slowdown < 2.5, `slowest node ${slowdown.toFixed(2)}× the others`);
});

test("runs that differ in samples and steps: work per sample and a per-step synchronisation cost are recovered", () => {
  // 2 ms of compute per sample, 0.4 s of evaluation per epoch, 3 ms per synchronised step at np = 2.
  const runs: TimedRun[] = [2000, 4000, 6000].flatMap((samples) =>
    [1, 2].map((np) => {
      const steps = samples / 48;
      return {
        np,
        nodes: 1,
        epochs: 1,
        samples,
        steps,
        seconds: (0.002 * samples) / np + 0.4 + (np > 1 ? 0.003 * steps : 0),
      };
    }),
  );
  const spec = { name: "here", terms: [costTerms.work, costTerms.serial, costTerms.perStep] };
  const model = fitCostModel(spec, runs);
  const [w, e, c] = Object.values(model.coefficients);
  assert.ok(Math.abs(w - 0.002) < 1e-12 && Math.abs(e - 0.4) < 1e-9 && Math.abs(c - 0.003) < 1e-9, `${w} ${e} ${c}`);
  assert.equal(model.contributions(runs[0])["per-step sync c·steps (np > 1)"], 0);
  for (const { error } of leaveOneOut(spec, runs)) assert.ok(Math.abs(error) < 1e-9);
});
