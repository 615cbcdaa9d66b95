/**
 * Syslog as firewalls send it: RFC 5424 (IETF) and RFC 3164 (BSD) messages, and RFC 6587's two
 * TCP framings — octet counting ("LEN SP MSG") and newline-delimited — told apart per message.
 * Pure: bytes in, messages and problems out; every buffer is bounded.
 */

/** One parsed syslog message. */
export interface SyslogMessage {
  format: "rfc5424" | "rfc3164";
  /** PRI: facility · 8 + severity. */
  priority: number;
  /** As written (RFC 3339 for 5424, "Mmm dd hh:mm:ss" for 3164); "" when nil. */
  timestamp: string;
  hostname: string;
  /** APP-NAME (5424) or TAG (3164), "" when absent. */
  app: string;
  /** The payload (for PAN-OS: the log's CSV line). */
  message: string;
}

/** Why a message could not be parsed (the metrics' "malformed" reasons). */
export type SyslogProblem = "no-priority" | "bad-priority" | "bad-header" | "empty";

const months = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d /;

/** Parses one syslog message (either RFC), or says what is wrong with it. */
export function parseSyslog(text: string): SyslogMessage | { problem: SyslogProblem } {
  const line = text.replace(/[\r\n\0]+$/, "");
  if (line.length === 0) return { problem: "empty" };
  const pri = /^<(\d{1,3})>/.exec(line);
  if (!pri) return { problem: "no-priority" };
  const priority = Number(pri[1]);
  if (priority > 191) return { problem: "bad-priority" };
  const rest = line.slice(pri[0].length);
  if (rest.startsWith("1 ")) {
    // VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
    const parts: string[] = [];
    let at = 2;
    for (let i = 0; i < 5; i++) {
      const space = rest.indexOf(" ", at);
      if (space < 0) return { problem: "bad-header" };
      parts.push(rest.slice(at, space));
      at = space + 1;
    }
    // structured data: "-" or one or more [ … ] elements ("]" inside values is escaped as "\]")
    if (rest[at] === "-") at++;
    else if (rest[at] === "[") {
      while (rest[at] === "[") {
        let i = at + 1;
        while (i < rest.length && !(rest[i] === "]" && rest[i - 1] !== "\\")) i++;
        if (i >= rest.length) return { problem: "bad-header" };
        at = i + 1;
      }
    } else return { problem: "bad-header" };
    let message = rest[at] === " " ? rest.slice(at + 1) : rest.slice(at);
    if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
    const nil = (v: string): string => (v === "-" ? "" : v);
    return {
      format: "rfc5424",
      priority,
      timestamp: nil(parts[0]),
      hostname: nil(parts[1]),
      app: nil(parts[2]),
      message,
    };
  }
  // RFC 3164: TIMESTAMP SP HOSTNAME SP [TAG[pid]: ] MSG
  const ts = months.exec(rest);
  if (!ts) return { problem: "bad-header" };
  const afterTs = rest.slice(ts[0].length);
  const space = afterTs.indexOf(" ");
  if (space <= 0) return { problem: "bad-header" };
  const hostname = afterTs.slice(0, space);
  let message = afterTs.slice(space + 1);
  let app = "";
  const tag = /^([A-Za-z0-9_./-]{1,48})(\[\d+\])?: /.exec(message);
  if (tag) {
    app = tag[1];
    message = message.slice(tag[0].length);
  }
  return { format: "rfc3164", priority, timestamp: ts[0].trim(), hostname, app, message };
}

/**
 * Splits a TCP byte stream into syslog messages (RFC 6587): a message starting with a digit is
 * octet-counted ("123 <14>1 …"), anything else ends at LF (or NUL). A frame longer than
 * `maxMessageBytes` is reported and skipped, so memory stays bounded whatever the peer sends.
 */
export class SyslogStreamFramer {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes still to skip of an oversized octet-counted frame, or -1 to skip to the next LF. */
  private skipping = 0;

  constructor(readonly maxMessageBytes = 64 * 1024) {}

  /** Bytes held, waiting for the rest of a frame. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Feeds bytes; returns the complete messages and the problems found (e.g. "oversized"). */
  push(chunk: Buffer): { messages: string[]; problems: ("oversized" | "bad-length")[] } {
    const messages: string[] = [];
    const problems: ("oversized" | "bad-length")[] = [];
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, buf.length - at);
        this.skipping -= n;
        at += n;
        if (this.skipping > 0) break;
      }
      if (this.skipping < 0) {
        const lf = buf.indexOf(0x0a, at);
        if (lf < 0) {
          at = buf.length;
          break;
        }
        at = lf + 1;
        this.skipping = 0;
      }
      while (at < buf.length && (buf[at] === 0x0a || buf[at] === 0x0d || buf[at] === 0x00)) at++;
      if (at >= buf.length) break;
      const first = buf[at];
      if (first >= 0x30 && first <= 0x39) {
        // octet counting: LEN SP MSG
        const space = buf.indexOf(0x20, at);
        if (space < 0 || space - at > 9) {
          if (buf.length - at > 10) {
            problems.push("bad-length");
            this.skipping = -1;
            continue;
          }
          break; // the length is still arriving
        }
        const digits = buf.toString("latin1", at, space);
        const len = /^[1-9]\d*$/.test(digits) ? Number(digits) : NaN;
        if (!Number.isFinite(len)) {
          problems.push("bad-length");
          this.skipping = -1;
          continue;
        }
        if (len > this.maxMessageBytes) {
          problems.push("oversized");
          at = space + 1;
          this.skipping = len;
          continue;
        }
        if (buf.length - (space + 1) < len) break;
        messages.push(buf.toString("utf8", space + 1, space + 1 + len));
        at = space + 1 + len;
      } else {
        let end = at;
        while (end < buf.length && buf[end] !== 0x0a && buf[end] !== 0x00) end++;
        if (end >= buf.length) {
          if (buf.length - at > this.maxMessageBytes) {
            problems.push("oversized");
            at = buf.length;
            this.skipping = -1;
          }
          break;
        }
        messages.push(buf.toString("utf8", at, end).replace(/\r$/, ""));
        at = end + 1;
      }
    }
    this.pending = at >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    buf = Buffer.alloc(0);
    return { messages, problems };
  }
}
