/**
 * Errors a user can cause. Each carries the problem and the fix, so the CLI edge can print
 * exactly one line and exit non-zero (2 for bad input, 1 for a failed environment or run).
 */
export class LabError extends Error {
  constructor(
    message: string,
    readonly fix: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The single line the CLI prints. */
  line(): string {
    return `${this.message}. Fix: ${this.fix}`;
  }
}

/** Bad input in a lab or scenario file: names the file and the field. Exit code 2. */
export class SpecError extends LabError {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
    fix: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${problem}`, fix, 2);
  }
}

/** The host lacks something the lab needs (libvirtd down, qemu missing, port in use). */
export class HostError extends LabError {
  constructor(problem: string, fix: string) {
    super(problem, fix, 2);
  }
}
