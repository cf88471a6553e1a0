/** A problem with one note, pinned to its file and (when known) the field: shown on the note and in the log. */
export class NoteError extends Error {
  override readonly name = 'NoteError';
  readonly path: string;
  readonly field: string | undefined;

  constructor(path: string, field: string | undefined, message: string) {
    super(message);
    this.path = path;
    this.field = field;
  }

  /** `Agents/researcher.md: mode "fast" is not one of single-threaded, multi-threaded` */
  describe(): string {
    return `${this.path}: ${this.message}`;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
