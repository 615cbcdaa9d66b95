/**
 * Rich output in tslab notebooks. Figures go out as one display bundle holding both
 * `application/vnd.plotly.v1+json` (a JSON object: JupyterLab's Plotly renderer draws it) and
 * `text/html` (drawn by plain JupyterLab and kept by an nbconvert HTML export). plotly.js is
 * inlined once per kernel session, from the local package. Outside a notebook these print text.
 */
import { randomBytes } from "node:crypto";
import type { Figure } from "./figure";
import { figureFragment, plotlyScript } from "./html";
import { toHtmlTable, toTextTable, type Row } from "./table";

type DisplayBundle = {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
};
type WriteDisplay = (bundle: DisplayBundle, update: boolean) => void;

/** tslab's display channel for the running cell, found among loaded modules; null outside tslab. */
function tslabWriter(): WriteDisplay | null {
  for (const mod of Object.values(require.cache)) {
    if (mod && /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(mod.filename)) {
      const write = (mod.exports as { lastWriteDisplayData?: WriteDisplay | null }).lastWriteDisplayData;
      if (typeof write === "function") return write;
    }
  }
  return null;
}

/** True inside a tslab kernel. */
export function inNotebook(): boolean {
  return tslabWriter() !== null;
}

function send(data: Record<string, unknown>, displayId?: string, update = false): boolean {
  const write = tslabWriter();
  if (!write) return false;
  write({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
  return true;
}

/**
 * A display that is replaced in place on each update (a live progress line in a notebook).
 * Returns null outside a notebook.
 */
export function liveDisplay(): { update(text: string): void } | null {
  if (!inNotebook()) return null;
  const id = `edgelab-live-${randomBytes(6).toString("hex")}`;
  let shown = false;
  return {
    update(text: string): void {
      send({ "text/plain": text }, id, shown);
      shown = true;
    },
  };
}

let plotlySent = false;

/** Shows a Plotly figure inline (notebook) or prints its title (terminal). */
export function showFigure(fig: Figure): void {
  const id = `edgelab-${randomBytes(6).toString("hex")}`;
  const loader = plotlySent ? "" : `<script>if(typeof window.Plotly==="undefined"){${plotlyScript()}}</script>\n`;
  const html = `${loader}${figureFragment(fig, id)}`;
  const title = String((fig.layout.title as { text?: string } | undefined)?.text ?? "figure");
  if (
    send({
      "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout },
      "text/html": html,
      "text/plain": `[figure: ${title}]`,
    })
  ) {
    plotlySent = true;
  } else {
    console.log(`[figure: ${title}]`);
  }
}

/** Shows a table (HTML in a notebook, aligned text elsewhere). */
export function showTable(rows: readonly Row[], caption?: string): void {
  const text = toTextTable(rows);
  if (!send({ "text/html": toHtmlTable(rows, caption), "text/plain": caption ? `${caption}\n${text}` : text })) {
    console.log(caption ? `${caption}\n${text}` : text);
  }
}

/** Shows Markdown (rendered in a notebook, raw text elsewhere). */
export function showMarkdown(markdown: string): void {
  if (!send({ "text/markdown": markdown, "text/plain": markdown })) console.log(markdown);
}
