/**
 * Private key material. It prints as `[secret]` everywhere a value can leak by accident
 * (template strings, JSON reports, console.log, util.inspect); only `reveal()` gives the text.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[secret]';
  }
}
