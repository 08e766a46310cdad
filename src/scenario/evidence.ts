/** A failed check: the message says what was expected, `evidence` where to look (a failed wait is a WaitTimeoutError). */
export class EvidenceError extends Error {
  constructor(
    message: string,
    readonly evidence: string[],
  ) {
    super(message);
    this.name = 'EvidenceError';
  }
}

