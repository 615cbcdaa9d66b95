/**
 * Dynamic re-partitioning (the seed's stated goal): from each stage's measured compute time per
 * micro-batch, estimate how fast each device is *now* relative to the profile (a CPU hog, thermal
 * throttling or another tenant slows it), re-run PipeEdge's DP with those speeds and the ranks in
 * their fixed order, and propose the new plan when it predicts a clearly smaller bottleneck than
 * the one being measured. Pure: observations in, plan or null out.
 */
import { median } from "./job";
import { pipeedgePartitioner, type BlockCost, type DeviceSpec, type LinkModel, type Plan } from "./partition";

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
  }

  /** A better plan, or null (too few observations, in cooldown, or no clear gain). */
  propose(): RebalanceProposal | null {
    if (this.sinceSwitch < this.config.cooldown || this.samples.length < this.config.window) return null;
    const stages = this.current.stages;
    const measured = stages.map((_, s) => median(this.samples.map((x) => x[s])));
    // Speed of the device under stage s: what the profile predicts for its blocks over what it took.
    const speeds = stages.map((stage, s) => {
      const predicted = this.blocks.slice(stage.firstBlock, stage.lastBlock + 1).reduce((t, b) => t + b.computeMs, 0) / this.devices[stage.device].speed;
      const speed = (this.devices[stage.device].speed * predicted) / measured[s];
      return Number.isFinite(speed) && speed > 0 ? Math.min(1e3, Math.max(1e-3, speed)) : this.devices[stage.device].speed;
    });
    const now = stages.map((stage, s) => ({ ...this.devices[stage.device], speed: speeds[s] }));
    const next = pipeedgePartitioner.plan({ blocks: this.blocks, stages: stages.length, devices: now, link: this.link, fixedOrder: true });
    const measuredBottleneckMs = Math.max(...measured.map((m, s) => Math.max(m, stages[s].transferMs)));
    const same = next.stages.every((st, s) => st.firstBlock === stages[s].firstBlock && st.lastBlock === stages[s].lastBlock);
    if (same || next.bottleneckMs > (1 - this.config.gain) * measuredBottleneckMs) return null;
    const slowest = measured.indexOf(Math.max(...measured));
    return {
      plan: next,
      measuredBottleneckMs,
      speeds,
      reason:
        `stage ${slowest} takes ${measured[slowest].toFixed(2)} ms per micro-batch (speed ${speeds[slowest].toFixed(2)}× its profile); ` +
        `re-planned bottleneck ${next.bottleneckMs.toFixed(2)} ms`,
    };
  }

  /** Switches to `plan` (after the pipeline drained and reloaded) and restarts the observations. */
  adopt(plan: Plan): void {
    this.current = plan;
    this.samples = [];
    this.sinceSwitch = 0;
  }
}
