/**
 * The `--model M,…|all` and `--mode train|finetune|train,finetune` flags that the vision-zoo
 * benchmarks (`bench spb`, `bench memory`) share.
 */
import { visionZoo } from "../models/vision-zoo";
import { UsageError } from "./args";

/** The zoo models and modes a command was asked for. */
export interface ZooSelection {
  models: string[];
  modes: ("train" | "finetune")[];
}

/** Parses the two flags of `command` (absent: the whole zoo, both modes; `--mode both` too); one clear line when wrong. */
export function zooSelection(command: string, model: string | undefined, mode: string | undefined): ZooSelection {
  const zoo = Object.keys(visionZoo);
  const models = !model || model === "all" ? zoo : model.split(",").map((m) => m.trim());
  const unknown = models.find((m) => !visionZoo[m]);
  if (unknown)
    throw new UsageError(`${command}: unknown vision model "${unknown}"; choose from ${zoo.join(", ")} or all`);
  const modes = (mode === undefined || mode === "both" ? "train,finetune" : mode).split(",").map((m) => m.trim());
  if (modes.some((m) => m !== "train" && m !== "finetune"))
    throw new UsageError(`${command}: --mode must be train, finetune or both (train,finetune), got "${mode}"`);
  return { models, modes: modes as ZooSelection["modes"] };
}
