/**
 * Dynamic re-partitioning (the seed's stated goal): from each stage's measured compute time per
 * micro-batch, estimate how fast each device is *now* relative to the profile (a CPU hog, thermal
 * throttling or another tenant slows it), re-run PipeEdge's DP with those speeds and the ranks in
 * their fixed order, and propose the new plan when it predicts a clearly smaller bottleneck than
 * the current plan at the same speeds. Pure: observations in, plan or null out.
 */
import { median } from "../metrics/latency";
import { pipeedgePartitioner, stageCost, type BlockCost, type DeviceSpec, type LinkModel, type Plan } from "./partition";

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
export const defaultRebalanceConfig: Readonly<RebalanceConfig> = Object.freeze({ window: 12, gain: 0.15, cooldown: 24 });

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
  private sinceSwitch = 0;
  private observed = 0;
  /** Plans already run: their measured bottleneck and when (observation count), to stop flip-flopping. */
  private readonly tried = new Map<string, { bottleneckMs: number; at: number }>();
  /** The plan before the last switch, until the switch has been judged. */
  private previous: Plan | null = null;
  /** Per device, the speed estimate carried across windows and plans (exponentially smoothed). */
  private smoothed: number[] | null = null;

  constructor(
    private readonly blocks: BlockCost[],
    private readonly devices: DeviceSpec[],
    private readonly link: LinkModel,
    private current: Plan,
    private readonly config: RebalanceConfig = defaultRebalanceConfig,
  ) {}

  /** The plan in force. */
  get plan(): Plan {
    return this.current;
  }

  /** Records one micro-batch's compute milliseconds per stage. */
  observe(stageMs: number[]): void {
    this.samples.push(stageMs);
    if (this.samples.length > this.config.window) this.samples.shift();
    this.sinceSwitch++;
    this.observed++;
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
        return { plan: back, measuredBottleneckMs: now, speeds: this.smoothed ?? [], reason: `reverted: ${now.toFixed(2)} ms per micro-batch after the switch, ${was.bottleneckMs.toFixed(2)} ms before` };
      }
    }
    // Speed of the device under stage s: what the profile predicts for its blocks over what it took.
    const raw = stages.map((stage, s) => {
      const predicted = this.blocks.slice(stage.firstBlock, stage.lastBlock + 1).reduce((t, b) => t + b.computeMs, 0) / this.devices[stage.device].speed;
      const speed = (this.devices[stage.device].speed * predicted) / measured[s];
      return Number.isFinite(speed) && speed > 0 ? Math.min(1e3, Math.max(1e-3, speed)) : this.devices[stage.device].speed;
    });
    // Each window's estimate depends on which blocks the stage holds (the profile's per-block times
    // are only roughly proportional to reality): smoothing across plans damps overshooting swaps.
    const speeds = raw.map((v, s) => (this.smoothed ? 0.5 * this.smoothed[s] + 0.5 * v : v));
    this.smoothed = speeds;
    const now = stages.map((stage, s) => ({ ...this.devices[stage.device], speed: speeds[s] }));
    const request = { blocks: this.blocks, stages: stages.length, devices: now, link: this.link, fixedOrder: true };
    const next = pipeedgePartitioner.plan(request);
    // Judge both plans by the same model at the same speeds: measured times carry overheads the
    // model lacks, and comparing a prediction with a measurement would re-plan back and forth.
    const current = Math.max(...stages.map((st, s) => {
      const c = stageCost(request, st.firstBlock, st.lastBlock, s, s === stages.length - 1);
      return Math.max(c.computeMs, c.transferMs);
    }));
    const measuredBottleneckMs = Math.max(...measured.map((m, s) => Math.max(m, stages[s].transferMs)));
    const same = next.stages.every((st, s) => st.firstBlock === stages[s].firstBlock && st.lastBlock === stages[s].lastBlock);
    if (same || next.bottleneckMs > (1 - this.config.gain) * current) return null;
    // The model's block times are only proportional to reality: a plan already run recently is
    // judged by what was measured then, not by the prediction, so the controller cannot oscillate.
    const before = this.tried.get(planKey(next));
    if (before && this.observed - before.at < 10 * this.config.cooldown && before.bottleneckMs > (1 - this.config.gain) * measuredBottleneckMs) return null;
    const slowest = measured.indexOf(Math.max(...measured));
    return {
      plan: next,
      measuredBottleneckMs,
      speeds,
      reason:
        `stage ${slowest} takes ${measured[slowest].toFixed(2)} ms per micro-batch (speed ${speeds[slowest].toFixed(2)}× its profile); ` +
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
      this.tried.set(planKey(this.current), { bottleneckMs: Math.max(...measured), at: this.observed });
    }
    // A revert is not itself on trial.
    this.previous = this.reverting(plan) ? null : this.current;
    this.lastRevert = null;
    this.current = plan;
    this.samples = [];
    this.sinceSwitch = 0;
  }
}

/** A plan's identity: its stage boundaries in blocks. */
function planKey(plan: Plan): string {
  return plan.stages.map((s) => `${s.firstBlock}-${s.lastBlock}`).join(",");
}
