/**
 * Dynamic re-partitioning (the seed's stated goal). Each stage reports, per micro-batch, its wall
 * time and the CPU time its process got meanwhile. Their ratio is the share of its core the device
 * has *now* (a CPU hog or another tenant takes the rest), measured independently of which layers it
 * holds; the CPU time, spread over the stage's blocks in proportion to the profile, corrects the
 * profile's per-block costs (blocks timed in isolation are only roughly proportional to reality).
 * PipeEdge's DP then re-plans with those block costs and device speeds, the ranks in their fixed
 * order, and the new plan is proposed when it predicts a clearly smaller bottleneck than the
 * current plan under the same model. A switch is a trial, reverted if it measures worse.
 * Pure: observations in, plan or null out.
 */
import { median } from "../metrics/latency";
import {
  pipeedgePartitioner,
  stageCost,
  type BlockCost,
  type DeviceSpec,
  type LinkModel,
  type Plan,
} from "./partition";

/** Tuning of the controller. */
export interface RebalanceConfig {
  /** Micro-batches per observation window (median per stage). */
  window: number;
  /** Re-plan only when the predicted bottleneck is below (1 − gain) × the measured one. */
  gain: number;
  /** Micro-batches to wait after a switch before judging again. */
  cooldown: number;
}

/** Defaults: windows of 12 micro-batches, a 15 % predicted gain, 24 micro-batches of cooldown. */
export const defaultRebalanceConfig: Readonly<RebalanceConfig> = Object.freeze({
  window: 12,
  gain: 0.15,
  cooldown: 24,
});

/** A proposal with its reasoning, for the timeline. */
export interface RebalanceProposal {
  plan: Plan;
  /** Measured slowest stage (median ms per micro-batch) under the current plan. */
  measuredBottleneckMs: number;
  /** Each device's estimated speed relative to the profile. */
  speeds: number[];
  reason: string;
}

/** Watches stage times and proposes better plans. */
export class Rebalancer {
  private samples: number[][] = [];
  private cpuSamples: number[][] = [];
  /** Per block, CPU milliseconds per micro-batch on a speed-1 device: the profile, corrected by measurement. */
  private readonly blockMs: number[];
  private sinceSwitch = 0;
  /** Plans already run: their measured bottleneck and the devices' core shares then, to stop flip-flopping. */
  private readonly tried = new Map<string, { bottleneckMs: number; shares: number[] }>();
  /** Each stage's core share in the last window judged. */
  private shares: number[] = [];
  /** The plan before the last switch, until the switch has been judged. */
  private previous: Plan | null = null;

  constructor(
    private readonly blocks: BlockCost[],
    private readonly devices: DeviceSpec[],
    private readonly link: LinkModel,
    private current: Plan,
    private readonly config: RebalanceConfig = defaultRebalanceConfig,
  ) {
    this.blockMs = blocks.map((b) => b.computeMs);
  }

  /** The plan in force. */
  get plan(): Plan {
    return this.current;
  }

  /**
   * Records one micro-batch: wall milliseconds per stage and the CPU milliseconds each stage's
   * process got meanwhile (absent: the stage had its whole core).
   */
  observe(stageMs: number[], cpuMs: number[] = stageMs): void {
    this.samples.push(stageMs);
    this.cpuSamples.push(cpuMs);
    if (this.samples.length > this.config.window) {
      this.samples.shift();
      this.cpuSamples.shift();
    }
    this.sinceSwitch++;
  }

  /** A better plan, or null (too few observations, in cooldown, or no clear gain). */
  propose(): RebalanceProposal | null {
    if (this.sinceSwitch < this.config.cooldown || this.samples.length < this.config.window) return null;
    const stages = this.current.stages;
    const measured = stages.map((_, s) => median(this.samples.map((x) => x[s])));
    // A switch is a trial: once the new plan has a full window, go back if it measures worse than
    // the plan it replaced did.
    if (this.previous) {
      const was = this.tried.get(planKey(this.previous));
      const now = Math.max(...measured);
      const back = this.previous;
      this.previous = null;
      if (was && now > (1 + this.config.gain / 2) * was.bottleneckMs) {
        this.lastRevert = planKey(back);
        return {
          plan: back,
          measuredBottleneckMs: now,
          speeds: [],
          reason: `reverted: ${now.toFixed(2)} ms per micro-batch after the switch, ${was.bottleneckMs.toFixed(2)} ms before`,
        };
      }
    }
    const cpu = stages.map((_, s) => median(this.cpuSamples.map((x) => x[s])));
    // The share of its core each stage had: CPU time over wall time (a hog on the core lowers it).
    const shares = stages.map((_, s) =>
      measured[s] > 0 && cpu[s] > 0 ? Math.min(1, Math.max(0.02, cpu[s] / measured[s])) : 1,
    );
    this.shares = shares;
    const speeds = stages.map((stage, s) => this.devices[stage.device].speed * shares[s]);
    // Block costs: the stage's CPU time spread over its blocks as the profile proportions them.
    stages.forEach((stage, s) => {
      if (!(cpu[s] > 0)) return;
      const profiled = this.blocks.slice(stage.firstBlock, stage.lastBlock + 1).reduce((t, b) => t + b.computeMs, 0);
      for (let b = stage.firstBlock; b <= stage.lastBlock; b++) {
        const share = profiled > 0 ? this.blocks[b].computeMs / profiled : 1 / (stage.lastBlock - stage.firstBlock + 1);
        this.blockMs[b] = cpu[s] * this.devices[stage.device].speed * share;
      }
    });
    const now = stages.map((stage, s) => ({ ...this.devices[stage.device], speed: speeds[s] }));
    const blocks = this.blocks.map((b, i) => ({ ...b, computeMs: this.blockMs[i] }));
    const request = { blocks, stages: stages.length, devices: now, link: this.link, fixedOrder: true };
    const next = pipeedgePartitioner.plan(request);
    // Judge both plans by the same model: measured times carry overheads the model lacks, and
    // comparing a prediction with a measurement would re-plan back and forth.
    const current = Math.max(
      ...stages.map((st, s) => {
        const c = stageCost(request, st.firstBlock, st.lastBlock, s, s === stages.length - 1);
        return Math.max(c.computeMs, c.transferMs);
      }),
    );
    const measuredBottleneckMs = Math.max(...measured.map((m, s) => Math.max(m, stages[s].transferMs)));
    const same = next.stages.every(
      (st, s) => st.firstBlock === stages[s].firstBlock && st.lastBlock === stages[s].lastBlock,
    );
    if (same || next.bottleneckMs > (1 - this.config.gain) * current) return null;
    // The block costs are estimates: a plan already run while the devices had about the same core
    // shares is judged by what was measured then, not by the prediction, so the controller cannot
    // oscillate between neighbouring plans; when the load changes, the old measurement expires.
    const before = this.tried.get(planKey(next));
    const sameLoad =
      before !== undefined &&
      before.shares.length === shares.length &&
      before.shares.every((v, s) => Math.abs(v - shares[s]) < 0.2);
    if (before && sameLoad && before.bottleneckMs > (1 - this.config.gain) * measuredBottleneckMs) return null;
    const slowest = measured.indexOf(Math.max(...measured));
    return {
      plan: next,
      measuredBottleneckMs,
      speeds,
      reason:
        `stage ${slowest} takes ${measured[slowest].toFixed(2)} ms per micro-batch with ${((100 * speeds[slowest]) / this.devices[stages[slowest].device].speed).toFixed(0)} % of its core; ` +
        `predicted bottleneck ${current.toFixed(2)} ms → ${next.bottleneckMs.toFixed(2)} ms re-planned`,
    };
  }

  private lastRevert: string | null = null;

  private reverting(plan: Plan): boolean {
    return this.lastRevert === planKey(plan);
  }

  /** Switches to `plan` (after the pipeline drained and reloaded) and restarts the observations. */
  adopt(plan: Plan): void {
    if (this.samples.length > 0) {
      const measured = this.current.stages.map((_, s) => median(this.samples.map((x) => x[s])));
      this.tried.set(planKey(this.current), { bottleneckMs: Math.max(...measured), shares: [...this.shares] });
    }
    // A revert is not itself on trial.
    this.previous = this.reverting(plan) ? null : this.current;
    this.lastRevert = null;
    this.current = plan;
    this.samples = [];
    this.cpuSamples = [];
    this.sinceSwitch = 0;
  }
}

/** A plan's identity: its stage boundaries in blocks. */
function planKey(plan: Plan): string {
  return plan.stages.map((s) => `${s.firstBlock}-${s.lastBlock}`).join(",");
}
