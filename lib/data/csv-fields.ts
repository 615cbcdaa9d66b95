/**
 * One CSV line into fields, RFC 4180 quoting: a field in double quotes may hold commas, and ""
 * is a quote inside it (text after the closing quote is kept with the field). Pure; shared by
 * the tabular CSV reader and the PAN-OS log parser.
 */

/** The fields of `line`, or null when a quoted field is not closed on this line. */
export function splitCsvFields(line: string): string[] | null {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    }
    const comma = line.indexOf(",", i);
    field += comma < 0 ? line.slice(i) : line.slice(i, comma);
    i = comma < 0 ? line.length : comma;
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}
