/** Saves a figure in every format this machine can produce: offline HTML always, PNG with Chromium. */
import type { Figure } from "./figure";
import { saveFigureHtml } from "./html";
import { saveFigurePng } from "./png";

/** Paths written for one figure. */
export interface SavedFigure {
  html: string;
  png: string | null;
}

/**
 * Writes `<base>.html` (plotly.min.js beside it) and, where Chromium exists, `<base>.png`.
 * @example saveFigure(fig, "results/quickstart/confusion") // → confusion.html, confusion.png
 */
export function saveFigure(fig: Figure, base: string, options: { png?: boolean } = {}): SavedFigure {
  const html = saveFigureHtml(fig, `${base}.html`);
  const png = options.png === false ? null : saveFigurePng(fig, `${base}.png`) ? `${base}.png` : null;
  return { html, png };
}
