/**
 * Splits text that arrives in arbitrary pieces into lines. A line ends at `\n`, `\r\n` or a bare `\r` (a tool
 * redrawing its progress bar makes a line per redraw), and a `\r\n` split across two pieces is still one break.
 */
export class LineSplitter {
  private rest = '';
  private skipLf = false;

  push(text: string): string[] {
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLf = false;
    const parts = (this.rest + text).split(/\r\n|\r|\n/);
    this.rest = parts.pop() ?? '';
    if (text.endsWith('\r')) this.skipLf = true;
    return parts;
  }

  end(): string[] {
    const r = this.rest;
    this.rest = '';
    return r ? [r] : [];
  }
}
