/**
 * Figures as offline HTML: plotly.js comes from the installed `plotly.js-dist-min` package and is
 * either inlined (one self-contained file) or written once beside the figures and referenced
 * relatively. Never a CDN: Pis are often offline.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "./atomic";
import type { Figure } from "./figure";

const requireHere = createRequire(__filename);

/** Path of the local plotly.js bundle. */
export function plotlyBundlePath(): string {
  return requireHere.resolve("plotly.js-dist-min/plotly.min.js");
}

let plotlySource: string | null = null;
/** The plotly.js bundle source (read once). */
export function plotlyScript(): string {
  plotlySource ??= readFileSync(plotlyBundlePath(), "utf8");
  return plotlySource;
}

/** JSON for embedding in a `<script>`: `</` is escaped so data cannot close the tag. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/<\//g, "<\\/").replace(/<!--/g, "<\\!--");
}

/**
 * A `<div>` plus the script that draws the figure into it (expects `window.Plotly`).
 * `staticPlot` renders without the interactive mode bar (for PNG export).
 */
export function figureFragment(fig: Figure, id: string, staticPlot = false): string {
  const config = staticPlot ? { staticPlot: true } : { responsive: true, displaylogo: false };
  return `<div id="${id}" class="edgelab-figure"></div>\n<script>(function(){var f=${scriptJson(fig)};Plotly.newPlot(${JSON.stringify(id)},f.data,f.layout,${JSON.stringify(config)});})();</script>`;
}

/** How the HTML gets plotly.js. */
export type PlotlyMode = "inline" | "sibling";

/** A complete HTML page for one figure. */
export function figureHtml(
  fig: Figure,
  mode: PlotlyMode = "inline",
  siblingName = "plotly.min.js",
  staticPlot = false,
): string {
  const title = String((fig.layout.title as { text?: string } | undefined)?.text ?? "edgelab figure");
  const plotly = mode === "inline" ? `<script>${plotlyScript()}</script>` : `<script src="${siblingName}"></script>`;
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title.replace(/</g, "&lt;")}</title>${plotly}</head>\n<body>\n${figureFragment(fig, "figure", staticPlot)}\n</body></html>\n`;
}

/**
 * Saves a figure as offline HTML. `sibling` mode copies plotly.min.js next to the file once
 * (4.8 MB shared by every figure in the folder); `inline` makes one self-contained file.
 */
export function saveFigureHtml(fig: Figure, path: string, mode: PlotlyMode = "sibling"): string {
  if (mode === "sibling") {
    const target = join(dirname(path), "plotly.min.js");
    const source = plotlyBundlePath();
    if (!existsSync(target) || statSync(target).size !== statSync(source).size) {
      writeFileAtomic(target, readFileSync(source));
    }
  }
  writeFileAtomic(path, figureHtml(fig, mode, "plotly.min.js"));
  return path;
}
