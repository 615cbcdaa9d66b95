/**
 * Executes notebooks headlessly with Jupyter's nbconvert and the tslab kernel, writing the
 * executed copies (and static HTML exports) under results/notebooks/ so the committed notebooks
 * stay output-free. A failing cell fails the run with that cell's error.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { constants as osConstants } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Profile } from "../runtime/paths";
import { systemPython } from "../runtime/python";

/** How to run the notebooks. */
export interface ExecuteOptions {
  notebooksDir: string;
  outDir: string;
  profile: Profile;
  /** Only notebooks whose file name contains one of these. */
  only?: string[];
  /** Seconds a single cell may run. */
  cellTimeout?: number;
  /** Also export static HTML (figures kept, plotly inlined). Default true. */
  html?: boolean;
  /** Extra environment for the kernels. */
  env?: Record<string, string>;
}

/** Outcome of one notebook. */
export interface NotebookRun {
  notebook: string;
  ok: boolean;
  seconds: number;
  executed: string;
  html: string | null;
  /** The failing cell's error, when !ok. */
  error: string | null;
  /** The kernel process died (rather than a cell raising). */
  kernelDied?: boolean;
}

/** The Python that runs nbconvert (see {@link systemPython}). */
export function notebookPython(): string {
  return systemPython();
}

/**
 * Writes a kernel spec named `tslab` that runs this checkout's tslab with this Node, under
 * `<dir>/kernels/tslab`, and returns `dir` for `JUPYTER_PATH`. Jupyter searches JUPYTER_PATH
 * first, so headless runs never pick up another checkout's user-level registration.
 */
export function writeProjectKernel(dir: string): string {
  const tslabMain = join(dirname(createRequire(__filename).resolve("tslab/package.json")), "bin", "tslab");
  const spec = {
    argv: [process.execPath, tslabMain, "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
  };
  mkdirSync(join(dir, "kernels", "tslab"), { recursive: true });
  writeFileSync(join(dir, "kernels", "tslab", "kernel.json"), JSON.stringify(spec));
  return dir;
}

/** The notebooks of a folder, in name order. */
export function listNotebooks(dir: string, only?: string[]): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith(".ipynb") && !n.startsWith("."))
    .filter((n) => !only || only.length === 0 || only.some((o) => n.includes(o)))
    .sort()
    .map((n) => join(dir, n));
}

type NotebookJson = {
  cells: {
    cell_type: string;
    source: string | string[];
    outputs?: {
      output_type: string;
      name?: string;
      text?: string | string[];
      ename?: string;
      evalue?: string;
      traceback?: string[];
    }[];
  }[];
};

/**
 * The first failing cell of an executed notebook: its error (tslab reports type errors on the
 * cell's stderr with an empty error name), and the start of its source. Null when none failed.
 */
export function firstCellError(executedPath: string): string | null {
  if (!existsSync(executedPath)) return null;
  const nb = JSON.parse(readFileSync(executedPath, "utf8")) as NotebookJson;
  const join = (t: string | string[] | undefined): string => (Array.isArray(t) ? t.join("") : (t ?? ""));
  for (const [i, cell] of nb.cells.entries()) {
    const error = (cell.outputs ?? []).find((o) => o.output_type === "error");
    if (!error) continue;
    const stderr = (cell.outputs ?? [])
      .filter((o) => o.output_type === "stream" && o.name === "stderr")
      .map((o) => join(o.text))
      .join("");
    const message = [error.ename, error.evalue].filter(Boolean).join(": ");
    const detail = stripAnsi(
      [message, stderr.trim(), error.traceback?.length ? error.traceback.join("\n") : ""].filter(Boolean).join("\n"),
    );
    return `cell ${i + 1}: ${detail || "error"}\n--- cell source ---\n${join(cell.source).slice(0, 800)}`;
  }
  return null;
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour codes being removed
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * Executes one notebook. A kernel that dies fails the run like a failing cell, with the kernel's
 * exit status (the signal, for a crash) and its last lines of stderr.
 */
export function executeNotebook(path: string, options: ExecuteOptions): NotebookRun {
  mkdirSync(options.outDir, { recursive: true });
  const name = basename(path, ".ipynb");
  const executed = join(options.outDir, `${name}.ipynb`);
  const jupyterPath = writeProjectKernel(join(options.outDir, ".jupyter"));
  const env = {
    ...process.env,
    ...options.env,
    EDGELAB_PROFILE: options.profile,
    JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(":"),
  };
  const t0 = performance.now();
  const python = notebookPython();
  const driver = join(dirname(dirname(dirname(__dirname))), "scripts", "execute_notebook.py");
  const run = spawnSync(
    python,
    [driver, path, executed, "--kernel", "tslab", "--timeout", String(options.cellTimeout ?? 1800)],
    { env, encoding: "utf8", maxBuffer: 64 << 20 },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (run.error)
    return {
      notebook: path,
      ok: false,
      seconds,
      executed,
      html: null,
      error: `cannot run ${python}: ${run.error.message} (npm run setup installs Jupyter)`,
    };
  if (run.status !== 0) {
    const stderr = stripAnsi(run.stderr ?? "");
    if (/No module named '?(nbclient|nbformat)/.test(stderr))
      return {
        notebook: path,
        ok: false,
        seconds,
        executed,
        html: null,
        error: `${python} has no nbclient: run npm run setup (or set EDGELAB_PYTHON)`,
      };
    let report: { cell: number | null; error: string; stderr: string; detail: string; kernelExit?: number } | null =
      null;
    try {
      report = JSON.parse((run.stdout ?? "").trim().split("\n").pop() ?? "");
    } catch {
      report = null;
    }
    // A dead kernel leaves no cell output; its own last words are on the driver's stderr.
    const kernelWords =
      report && /DeadKernelError/.test(report.error)
        ? `\nthe kernel process ${describeExit(report.kernelExit)}\n--- kernel stderr ---\n${stderr.split("\n").slice(-20).join("\n")}`
        : "";
    const message = report
      ? `cell ${report.cell ?? "?"}: ${report.error}\n${stripAnsi(report.stderr || report.detail)}${kernelWords}`
      : stderr.split("\n").slice(-30).join("\n");
    return {
      notebook: path,
      ok: false,
      seconds,
      executed,
      html: null,
      error: message.trim(),
      kernelDied: /DeadKernelError/.test(report?.error ?? ""),
    };
  }
  const cellError = firstCellError(executed);
  if (cellError) return { notebook: path, ok: false, seconds, executed, html: null, error: cellError };
  let html: string | null = null;
  if (options.html !== false) {
    const exp = spawnSync(python, ["-m", "nbconvert", "--to", "html", "--output-dir", options.outDir, executed], {
      env,
      encoding: "utf8",
    });
    html = exp.status === 0 ? join(options.outDir, `${name}.html`) : null;
  }
  return { notebook: path, ok: true, seconds, executed, html, error: null };
}

/** "exited with code 1", "was killed by signal 11 (SIGSEGV)" or "ended (exit status unknown)". */
function describeExit(status: number | undefined): string {
  if (status === undefined || status === null) return "ended (exit status unknown)";
  if (status >= 0) return `exited with code ${status}`;
  const name = Object.entries(osConstants.signals).find(([, n]) => n === -status)?.[0];
  return `was killed by signal ${-status}${name ? ` (${name})` : ""}`;
}
