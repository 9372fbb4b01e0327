// Where CLI commands write. The real one is the terminal (console is right here: this is output
// for a person, not logging); tests pass a recorder and read what was written.
export interface CliIo {
  /** A line of normal output (stdout). */
  out(line: string): void;
  /** A line of error output (stderr). */
  err(line: string): void;
}

/** The terminal. */
export const consoleIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Thrown by a command to end with a message and an exit code, without a stack trace. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(readonly exitCode: number, message = '') {
    super(message);
  }
}
