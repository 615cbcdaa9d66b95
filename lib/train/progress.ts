/** Training progress: a bar on an interactive terminal, a live line in a notebook, nothing otherwise. */
import { liveDisplay } from "../report/notebook";
import type { TrainingCallback } from "./config";

/** What the engine reports while it trains. */
export interface ProgressEvent {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  samplesPerSec: number;
}

/** Receives progress events. */
export interface ProgressReporter {
  step(e: ProgressEvent): void;
  epochEnd(summary: string): void;
}

function line(e: ProgressEvent): string {
  const width = 24;
  const filled = Math.round((e.step / e.steps) * width);
  return `epoch ${e.epoch}/${e.epochs} [${"=".repeat(filled)}${filled < width ? ">" : ""}${" ".repeat(Math.max(0, width - filled - 1))}] ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} ${e.samplesPerSec.toFixed(0)} samples/s`;
}

/** The reporter for where we run: notebook live line, TTY bar, or silent. Updates at most every 250 ms. */
export function autoProgress(): ProgressReporter {
  const live = liveDisplay();
  const tty = !live && process.stderr.isTTY === true;
  let last = 0;
  const history: string[] = [];
  return {
    step(e) {
      const now = performance.now();
      if (now - last < 250 && e.step !== e.steps) return;
      last = now;
      if (live) live.update([...history, line(e)].join("\n"));
      else if (tty) process.stderr.write(`\r${line(e)}`);
    },
    epochEnd(summary) {
      history.push(summary);
      if (live) live.update(history.join("\n"));
      else if (tty) process.stderr.write(`\r${summary}\x1b[K\n`);
    },
  };
}

/** A reporter that reports nothing. */
export const silentProgress: ProgressReporter = { step: () => undefined, epochEnd: () => undefined };

/** Progress as a training callback: a line per step (throttled by the reporter) and a summary per epoch. */
export function progressCallback(reporter: ProgressReporter): TrainingCallback {
  return {
    onStepEnd: (e) => reporter.step(e),
    onEpochEnd(log, state) {
      reporter.epochEnd(
        `epoch ${log.epoch}/${state.config.epochs} loss ${log.trainLoss.toFixed(4)} acc ${log.trainAccuracy.toFixed(4)} | val loss ${log.valLoss.toFixed(4)} acc ${log.valAccuracy.toFixed(4)} macro-F1 ${log.valMacroF1.toFixed(4)} | ${log.seconds.toFixed(1)} s`,
      );
    },
  };
}
