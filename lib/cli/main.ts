#!/usr/bin/env node
/**
 * The `edgelab` command line: mirrors the notebooks. With `--json` a command prints exactly one
 * JSON object on stdout. Bad input prints one line naming the file and the problem (exit 1);
 * a usage error prints one line (exit 2). Never a stack trace for bad input.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataFormatError } from "../data/errors";
import { UsageError } from "./args";
import { benchCommand, benchUsage } from "./bench";
import { dataCommand } from "./data";
import { flCommand, flUsage } from "./fl";
import { replayCommand, replayUsage, serveCommand, serveUsage } from "./firewall";
import { infoCommand } from "./info";
import { pipelineCommand, pipelineUsage } from "./pipeline";
import { exportOnnxCommand, inspectOnnxCommand, quantizeCommand, runOnnxCommand } from "./onnx";
import { scaleCommand } from "./scale";
import { simulateCommand, simulateUsage } from "./simulate";
import { trainCommand, trainUsage } from "./train";

const commands: Record<string, { summary: string; usage?: string; run: (argv: string[]) => Promise<void> }> = {
  bench: {
    summary:
      "bench train|onnx|spb: training throughput beside PyTorch; ONNX latency beside raw onnxruntime; seed 001's seconds per batch (train, finetune) beside torchvision",
    usage: benchUsage,
    run: benchCommand,
  },
  "inspect-onnx": {
    summary: "inspect-onnx M.onnx: inputs/outputs, opsets, operators, parameters, metadata",
    run: inspectOnnxCommand,
  },
  "run-onnx": { summary: "run-onnx M.onnx --input X.npy --out Y.npy: inference on NumPy arrays", run: runOnnxCommand },
  "export-onnx": {
    summary: "export-onnx RUN_DIR --out M.onnx: a trained run to ONNX with its preprocessing",
    run: exportOnnxCommand,
  },
  quantize: { summary: "quantize M.onnx --out Q.onnx --mode dynamic|static: INT8 in TypeScript", run: quantizeCommand },
  fl: {
    summary:
      "fl simulate|serve|client: federated learning, simulated or over Flower's protocol (FedAvg, FedProx, FedAdam, …)",
    usage: flUsage,
    run: flCommand,
  },
  info: { summary: "environment report: backends, threads, MPI, BLAS, onnxruntime, device", run: infoCommand },
  data: { summary: "data inspect PATH: format, counts per label, CICIDS cleaning report", run: dataCommand },
  scale: {
    summary: "scale --np 1,2,4 [--machinefile F] [--sync S]: a strong-scaling sweep under mpiexec → results/",
    run: scaleCommand,
  },
  pipeline: {
    summary:
      "pipeline cuts|plan|run M.onnx: layer-split inference across devices (cut points, PipeEdge plans, MPI stages)",
    usage: pipelineUsage,
    run: pipelineCommand,
  },
  serve: {
    summary: "serve --model M.onnx --udp|--tcp HOST:PORT: live scoring of PAN-OS firewall syslog, alerts as JSON lines",
    usage: serveUsage,
    run: serveCommand,
  },
  replay: {
    summary: "replay SOURCE --to udp|tcp://HOST:PORT: CICIDS flows sent as PAN-OS syslog at a set rate",
    usage: replayUsage,
    run: replayCommand,
  },
  "simulate-scaling": {
    summary: "accuracy versus np with virtual ranks: epoch-average vs allreduce (the paper's collapse)",
    usage: simulateUsage,
    run: simulateCommand,
  },
  train: {
    summary:
      "train a model (mlp, mlp-wide, cnn, cnn-small, sentinelnet, sentinelnet-debug, squeezenet) with checkpoints and resume",
    usage: trainUsage,
    run: trainCommand,
  },
};

function help(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `edgelab — train, scale and deploy small networks on Raspberry Pi-class devices\n\nusage: edgelab <command> [options] [--json]\n\ncommands:\n${lines.join("\n")}\n\nRun "edgelab <command> --help" for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return 0;
  }
  if (name === "--version") {
    console.log(
      (JSON.parse(readFileSync(join(__dirname, "../../../package.json"), "utf8")) as { version: string }).version,
    );
    return 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(commands).join(", ")}`);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`edgelab ${name}: ${command.summary}${command.usage ? `\n\n${command.usage}` : ""}`);
    return 0;
  }
  await command.run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    // A command that ran a child (mpiexec) sets the exit code itself; keep its failure.
    if (!process.exitCode) process.exitCode = code;
  },
  (err: unknown) => {
    // One line on stderr; with --json also one JSON object on stdout, for scripts.
    const report = (message: string, file?: string): void => {
      console.error(`edgelab: ${message}`);
      if (process.argv.includes("--json")) console.log(JSON.stringify({ error: message, ...(file ? { file } : {}) }));
    };
    if (err instanceof UsageError) {
      report(err.message);
      process.exitCode = 2;
    } else if (err instanceof DataFormatError) {
      report(err.message, err.file);
      process.exitCode = 1;
    } else {
      const e = err as NodeJS.ErrnoException;
      // A programming error (not bad input): keep the stack where a rare failure can be studied.
      const bug = e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError;
      let where = "";
      if (bug && e.stack) {
        const file = join(tmpdir(), `edgelab-crash-${process.pid}.txt`);
        try {
          writeFileSync(file, `edgelab ${process.argv.slice(2).join(" ")}\n${new Date().toISOString()}\n${e.stack}\n`);
          where = ` (an internal error; its stack is in ${file})`;
        } catch {
          // the message alone, then
        }
      }
      report(`${e.path ? `${e.path}: ` : ""}${e.message ?? String(err)}${where}`, e.path);
      if (process.env.EDGELAB_DEBUG) console.error(e.stack);
      process.exitCode = 1;
    }
  },
);
