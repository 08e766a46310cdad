/** A stream that keeps what is written, so tests read exactly what the user would see. */
export class CaptureStream {
  readonly chunks: string[] = [];
  constructor(readonly isTTY = false) {}

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }

  get text(): string {
    return this.chunks.join('');
  }

  lines(): string[] {
    return this.text.split('\n').filter(Boolean);
  }
}

/** Enough of a tty.WriteStream for ora to draw: the cursor calls emit the real ANSI sequences. */
export class FakeTTY extends CaptureStream {
  constructor(readonly columns = 120) {
    super(true);
  }
  cursorTo(x: number): boolean {
    return this.write(`\u001B[${x + 1}G`);
  }
  moveCursor(_dx: number, dy: number): boolean {
    return this.write(`\u001B[${Math.abs(dy)}${dy < 0 ? 'A' : 'B'}`);
  }
  clearLine(): boolean {
    return this.write('\u001B[2K');
  }
}
