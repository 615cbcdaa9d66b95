/**
 * Federated strategies as Flower defines them, over flat parameter buffers: a strategy says how
 * many clients to sample, what to send them (the fit config) and how to turn their results into
 * the next global model. FedProx is FedAvg plus one config entry; the adaptive ones (Reddi et al.
 * 2021) are FedAvg followed by a server optimiser step on the pseudo-gradient. Pure, with state
 * (momentum, moments) kept inside the strategy object.
 */
import { coordinateMedian, trimmedMean, weightedMean } from "../buffers/aggregate";

/** One client's fit result. */
export interface FitResult {
  parameters: Float32Array;
  numExamples: number;
}

/** Flower's client-sampling settings. */
export interface SamplingConfig {
  fractionFit: number;
  minFitClients: number;
  minAvailableClients: number;
  fractionEvaluate: number;
  minEvaluateClients: number;
}

/** Flower's defaults: every client, at least 2. */
export const defaultSampling: Readonly<SamplingConfig> = Object.freeze({
  fractionFit: 1,
  minFitClients: 2,
  minAvailableClients: 2,
  fractionEvaluate: 1,
  minEvaluateClients: 2,
});

/** What every strategy implements. */
export interface FederatedStrategy {
  readonly name: string;
  readonly sampling: SamplingConfig;
  /** Config sent to clients with fit (e.g. FedProx's `proximal_mu`). */
  fitConfig(round: number): Record<string, number | string | boolean>;
  /** The next global parameters from the current ones and the round's results. */
  aggregateFit(global: Float32Array, results: readonly FitResult[], round: number): Float32Array;
  /** Server-side state (momentum, moments) to checkpoint; stateless strategies have none. */
  state?(): Float64Array[];
  /** Restores what {@link state} returned. */
  restore?(state: Float64Array[]): void;
}

/** Flower's sample size: max(⌊available · fraction⌋, minimum). */
export function sampleSize(available: number, fraction: number, minimum: number): number {
  return Math.max(Math.floor(available * fraction), minimum);
}

const fedavgMean = (results: readonly FitResult[]): Float32Array =>
  weightedMean(
    results.map((r) => r.parameters),
    results.map((r) => r.numExamples),
  );

/** FedAvg (McMahan et al. 2017): the example-weighted mean of the clients' parameters. */
export class FedAvg implements FederatedStrategy {
  readonly name: string = "fedavg";
  constructor(readonly sampling: SamplingConfig = defaultSampling) {}
  fitConfig(): Record<string, number | string | boolean> {
    return {};
  }
  aggregateFit(_global: Float32Array, results: readonly FitResult[]): Float32Array {
    return fedavgMean(results);
  }
}

/** FedProx (Li et al. 2020): FedAvg whose clients add μ/2‖w − w_global‖² to their loss. */
export class FedProx extends FedAvg {
  override readonly name = "fedprox";
  constructor(
    readonly proximalMu: number,
    sampling: SamplingConfig = defaultSampling,
  ) {
    super(sampling);
    if (!(proximalMu >= 0)) throw new Error(`proximal_mu must be ≥ 0, got ${proximalMu}`);
  }
  override fitConfig(): Record<string, number | string | boolean> {
    return { proximal_mu: this.proximalMu };
  }
}

/** FedAvgM (Hsu et al. 2019): server momentum on the pseudo-gradient w_global − FedAvg. */
export class FedAvgM extends FedAvg {
  override readonly name = "fedavgm";
  private velocity: Float64Array | null = null;
  constructor(
    readonly serverLearningRate = 1,
    readonly serverMomentum = 0.9,
    sampling: SamplingConfig = defaultSampling,
  ) {
    super(sampling);
  }
  override aggregateFit(global: Float32Array, results: readonly FitResult[]): Float32Array {
    const avg = fedavgMean(results);
    const out = new Float32Array(global.length);
    const first = this.velocity === null;
    this.velocity ??= new Float64Array(global.length);
    for (let i = 0; i < global.length; i++) {
      const pseudoGradient = global[i] - avg[i];
      this.velocity[i] = first ? pseudoGradient : this.serverMomentum * this.velocity[i] + pseudoGradient;
      out[i] = global[i] - this.serverLearningRate * (this.serverMomentum > 0 ? this.velocity[i] : pseudoGradient);
    }
    return out;
  }
  state(): Float64Array[] {
    return this.velocity ? [this.velocity] : [];
  }
  restore(state: Float64Array[]): void {
    this.velocity = state[0] ?? null;
  }
}

/** Server optimisers of Reddi et al. 2021 ("Adaptive Federated Optimization"). */
export type ServerOptimizer = "adagrad" | "adam" | "yogi";

/** FedOpt settings; defaults η = 0.1 (FedYogi 0.01), β₁ = 0.9, β₂ = 0.99, τ = 1e-3. */
export interface FedOptConfig {
  eta: number;
  beta1: number;
  beta2: number;
  tau: number;
}

/** FedAdagrad, FedAdam, FedYogi: Δ = FedAvg − w; m ← β₁m + (1−β₁)Δ; v by the optimiser; w ← w + η·m/(√v + τ). */
export class FedOpt extends FedAvg {
  override readonly name: string;
  readonly config: FedOptConfig;
  private m: Float64Array | null = null;
  private v: Float64Array | null = null;
  constructor(
    readonly optimizer: ServerOptimizer,
    overrides: Partial<FedOptConfig> = {},
    sampling: SamplingConfig = defaultSampling,
  ) {
    super(sampling);
    this.name = `fed${optimizer}`;
    this.config = { eta: optimizer === "yogi" ? 0.01 : 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3, ...overrides };
  }
  override aggregateFit(global: Float32Array, results: readonly FitResult[]): Float32Array {
    const avg = fedavgMean(results);
    const { eta, beta1, beta2, tau } = this.config;
    this.m ??= new Float64Array(global.length);
    this.v ??= new Float64Array(global.length);
    const out = new Float32Array(global.length);
    for (let i = 0; i < global.length; i++) {
      const delta = avg[i] - global[i];
      const d2 = delta * delta;
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * delta;
      if (this.optimizer === "adagrad") this.v[i] += d2;
      else if (this.optimizer === "adam") this.v[i] = beta2 * this.v[i] + (1 - beta2) * d2;
      else this.v[i] -= (1 - beta2) * d2 * Math.sign(this.v[i] - d2);
      out[i] = global[i] + (eta * this.m[i]) / (Math.sqrt(this.v[i]) + tau);
    }
    return out;
  }
  state(): Float64Array[] {
    return this.m && this.v ? [this.m, this.v] : [];
  }
  restore(state: Float64Array[]): void {
    [this.m, this.v] = state.length === 2 ? [state[0], state[1]] : [null, null];
  }
}

/** FedMedian (Yin et al. 2018): the coordinate-wise median, robust to a minority of bad clients. */
export class FedMedian extends FedAvg {
  override readonly name = "fedmedian";
  override aggregateFit(_global: Float32Array, results: readonly FitResult[]): Float32Array {
    return coordinateMedian(results.map((r) => r.parameters));
  }
}

/** FedTrimmedAvg: the coordinate-wise mean without the β lowest and β highest fractions. */
export class FedTrimmedAvg extends FedAvg {
  override readonly name = "fedtrimmedavg";
  constructor(
    readonly beta = 0.2,
    sampling: SamplingConfig = defaultSampling,
  ) {
    super(sampling);
  }
  override aggregateFit(_global: Float32Array, results: readonly FitResult[]): Float32Array {
    return trimmedMean(
      results.map((r) => r.parameters),
      this.beta,
    );
  }
}

/**
 * A strategy from its CLI spelling: `fedavg`, `fedprox:MU`, `fedavgm`, `fedadagrad`, `fedadam`,
 * `fedyogi`, `fedmedian`, `fedtrimmedavg[:BETA]`.
 */
export function parseStrategy(spec: string, sampling: SamplingConfig = defaultSampling): FederatedStrategy {
  const [name, arg] = spec.split(":");
  const num = (fallback: number): number => {
    const v = arg === undefined ? fallback : Number(arg);
    if (!Number.isFinite(v)) throw new Error(`strategy ${spec}: "${arg}" is not a number`);
    return v;
  };
  switch (name) {
    case "fedavg":
      return new FedAvg(sampling);
    case "fedprox":
      if (arg === undefined) throw new Error("fedprox needs μ, e.g. fedprox:0.01");
      return new FedProx(num(0), sampling);
    case "fedavgm":
      return new FedAvgM(1, num(0.9), sampling);
    case "fedadagrad":
      return new FedOpt("adagrad", {}, sampling);
    case "fedadam":
      return new FedOpt("adam", {}, sampling);
    case "fedyogi":
      return new FedOpt("yogi", {}, sampling);
    case "fedmedian":
      return new FedMedian(sampling);
    case "fedtrimmedavg":
      return new FedTrimmedAvg(num(0.2), sampling);
    default:
      throw new Error(
        `unknown strategy "${spec}"; choose fedavg, fedprox:MU, fedavgm, fedadagrad, fedadam, fedyogi, fedmedian, fedtrimmedavg[:BETA]`,
      );
  }
}
