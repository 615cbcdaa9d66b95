/**
 * edgelab's federated client app: a tfjs model and this client's own data. Fit trains locally
 * with edgelab's engine; the server may set `local_epochs`, `batch_size`, `learning_rate` and
 * `proximal_mu` (FedProx) in the fit config, otherwise the client's own settings hold. Metrics
 * sent back: `train_loss` and `train_seconds` (fit), `accuracy` (evaluate).
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { ArrayData } from "../train/batches";
import type { ClientApp } from "./client";
import { flatWeights, localEvaluate, localFit, weightShapes, type LocalTraining } from "./local";
import type { ScalarMap } from "./protocol";
import type { FlatParameters } from "./tensors";

/** One fit as the client saw it. */
export interface ClientFit {
  fit: number;
  numExamples: number;
  trainLoss: number;
  trainSeconds: number;
  parameters: Float32Array;
}

/** One evaluation as the client saw it. */
export interface ClientEvaluation {
  loss: number;
  accuracy: number;
  numExamples: number;
}

const numberOr = (config: ScalarMap, key: string, fallback: number): number =>
  typeof config[key] === "number" ? (config[key] as number) : fallback;

/** A {@link ClientApp} that trains `model` on `train` and evaluates on `test`. */
export class ModelClientApp implements ClientApp {
  readonly shapes: number[][];
  readonly fits: ClientFit[] = [];
  readonly evaluations: ClientEvaluation[] = [];

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly train: ArrayData,
    private readonly test: ArrayData,
    private readonly classNames: string[],
    private readonly settings: LocalTraining,
  ) {
    this.shapes = weightShapes(model);
  }

  async getParameters(): Promise<FlatParameters> {
    return { flat: flatWeights(this.model), shapes: this.shapes };
  }

  async fit(
    parameters: FlatParameters,
    config: ScalarMap,
  ): Promise<{ parameters: FlatParameters; numExamples: number; metrics: ScalarMap }> {
    const t0 = performance.now();
    const fitIndex = this.fits.length + 1;
    const epochs = numberOr(config, "local_epochs", this.settings.epochs);
    const batchSize = numberOr(config, "batch_size", this.settings.batchSize);
    const out = await localFit(this.model, parameters.flat, this.train, this.classNames, {
      ...this.settings,
      epochs: Number.isInteger(epochs) && epochs > 0 ? epochs : this.settings.epochs,
      batchSize: Number.isInteger(batchSize) && batchSize > 0 ? batchSize : this.settings.batchSize,
      learningRate: numberOr(config, "learning_rate", this.settings.learningRate),
      proximalMu: numberOr(config, "proximal_mu", this.settings.proximalMu),
      seed: this.settings.seed + 7919 * numberOr(config, "server_round", fitIndex),
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    this.fits.push({
      fit: fitIndex,
      numExamples: out.numExamples,
      trainLoss: out.loss,
      trainSeconds,
      parameters: out.parameters,
    });
    return {
      parameters: { flat: out.parameters, shapes: this.shapes },
      numExamples: out.numExamples,
      metrics: { train_loss: out.loss, train_seconds: trainSeconds },
    };
  }

  async evaluate(parameters: FlatParameters): Promise<{ loss: number; numExamples: number; metrics: ScalarMap }> {
    const out = localEvaluate(this.model, parameters.flat, this.test, this.classNames.length);
    this.evaluations.push(out);
    return { loss: out.loss, numExamples: out.numExamples, metrics: { accuracy: out.accuracy } };
  }
}
