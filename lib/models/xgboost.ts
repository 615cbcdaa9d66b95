/**
 * XGBoost multi-class classifier on the system libxgboost (FFI, see `lib/native/xgboost`): the
 * same library python-xgboost drives, so the same data and parameters give the same trees.
 */
import { xgboost, xgboostUnavailableReason, type XgbBinding, type XgbHandle } from "../native/xgboost";
import { threadConfig } from "../runtime/threads";

/** Training parameters (XGBoost's names in comments). */
export interface XGBoostParams {
  /** Boosting rounds (num_boost_round). */
  rounds: number;
  /** max_depth */
  maxDepth: number;
  /** eta (learning rate) */
  eta: number;
  /** tree_method */
  treeMethod: "hist" | "approx" | "exact";
  /** nthread (default: the runtime's intra-op threads) */
  nthread?: number;
  seed: number;
  /** subsample, colsample_bytree, min_child_weight, lambda — XGBoost's defaults when omitted. */
  subsample?: number;
  colsampleBytree?: number;
  minChildWeight?: number;
  lambda?: number;
}

/** XGBoost's own defaults, 100 rounds, histogram trees. */
export const defaultXGBoostParams: Readonly<XGBoostParams> = Object.freeze({
  rounds: 100,
  maxDepth: 6,
  eta: 0.3,
  treeMethod: "hist",
  seed: 0,
});

/** The booster parameters exactly as passed to XGBoosterSetParam (and to python-xgboost for parity). */
export function boosterParams(p: XGBoostParams, classes: number): Record<string, string> {
  const out: Record<string, string> = {
    objective: "multi:softprob",
    num_class: String(classes),
    max_depth: String(p.maxDepth),
    eta: String(p.eta),
    tree_method: p.treeMethod,
    seed: String(p.seed),
    nthread: String(p.nthread ?? threadConfig().intraOp),
  };
  if (p.subsample !== undefined) out.subsample = String(p.subsample);
  if (p.colsampleBytree !== undefined) out.colsample_bytree = String(p.colsampleBytree);
  if (p.minChildWeight !== undefined) out.min_child_weight = String(p.minChildWeight);
  if (p.lambda !== undefined) out.lambda = String(p.lambda);
  return out;
}

function binding(): XgbBinding {
  const b = xgboost();
  if (!b) throw new Error(`XGBoost is unavailable: ${xgboostUnavailableReason()}`);
  return b;
}

/** A trained multi-class booster. Call `dispose()` to free the native memory. */
export class XGBoostClassifier {
  private constructor(
    private handle: XgbHandle | null,
    readonly classes: number,
    readonly features: number,
  ) {}

  /**
   * Trains on row-major float32 features (NaN = missing) and integer labels. `onRound` sees each
   * round done and can save the model so far; `resumeFrom` (a saved model of the same parameters)
   * continues boosting from its rounds up to `params.rounds`.
   */
  static train(
    features: Float32Array,
    labels: ArrayLike<number>,
    featureCount: number,
    classes: number,
    params: Partial<XGBoostParams> = {},
    onRound?: (round: number, save: () => Uint8Array) => void,
    resumeFrom?: Uint8Array,
  ): XGBoostClassifier {
    const p: XGBoostParams = { ...defaultXGBoostParams, ...params };
    const xgb = binding();
    const rows = labels.length;
    if (features.length !== rows * featureCount)
      throw new Error(`XGBoost: ${features.length} feature values for ${rows} rows × ${featureCount} features`);
    const dtrain = xgb.dmatrixFromMat(features, rows, featureCount, NaN);
    try {
      xgb.dmatrixSetLabels(dtrain, Float32Array.from(labels));
      const booster = xgb.boosterCreate([dtrain]);
      if (resumeFrom) xgb.boosterLoad(booster, resumeFrom);
      for (const [k, v] of Object.entries(boosterParams(p, classes))) xgb.boosterSetParam(booster, k, v);
      for (let i = resumeFrom ? xgb.boosterRounds(booster) : 0; i < p.rounds; i++) {
        xgb.boosterUpdate(booster, i, dtrain);
        onRound?.(i + 1, () => xgb.boosterSave(booster, "ubj"));
      }
      return new XGBoostClassifier(booster, classes, featureCount);
    } finally {
      xgb.dmatrixFree(dtrain);
    }
  }

  /** Loads a model saved by {@link save} (or by python-xgboost's `save_raw`). */
  static load(bytes: Uint8Array, classes: number, features: number): XGBoostClassifier {
    const xgb = binding();
    const booster = xgb.boosterCreate([]);
    xgb.boosterLoad(booster, bytes);
    return new XGBoostClassifier(booster, classes, features);
  }

  private live(): XgbHandle {
    if (!this.handle) throw new Error("XGBoostClassifier was disposed");
    return this.handle;
  }

  /** Class probabilities, row-major [rows, classes]. */
  predictProba(features: Float32Array): Float32Array {
    const xgb = binding();
    const rows = features.length / this.features;
    if (!Number.isInteger(rows))
      throw new Error(`XGBoost: ${features.length} values is not a whole number of ${this.features}-feature rows`);
    const d = xgb.dmatrixFromMat(features, rows, this.features, NaN);
    try {
      return xgb.boosterPredict(this.live(), d);
    } finally {
      xgb.dmatrixFree(d);
    }
  }

  /** Boosted rounds in the model. */
  get rounds(): number {
    return binding().boosterRounds(this.live());
  }

  /** The model as bytes (UBJSON, or JSON text). */
  save(format: "ubj" | "json" = "ubj"): Uint8Array {
    return binding().boosterSave(this.live(), format);
  }

  /** Feature importances (gain by default), named, highest first; unused features get 0. */
  importances(
    featureNames: readonly string[],
    type: "gain" | "weight" | "cover" | "total_gain" = "gain",
  ): { feature: string; importance: number }[] {
    const { features, scores } = binding().boosterScores(this.live(), type);
    const byIndex = new Float64Array(featureNames.length);
    features.forEach((f, i) => {
      const index = Number(f.replace(/^f/, ""));
      if (Number.isInteger(index) && index < byIndex.length) byIndex[index] = scores[i];
    });
    return Array.from(byIndex, (importance, i) => ({ feature: featureNames[i], importance })).sort(
      (a, b) => b.importance - a.importance,
    );
  }

  /** Frees the native booster. */
  dispose(): void {
    if (this.handle) binding().boosterFree(this.handle);
    this.handle = null;
  }
}
