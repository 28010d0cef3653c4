// The logging seam between the engine and its hosts: the action maps it onto @actions/core
// (groups, annotations), the CLI onto stderr. The engine never imports either host.

export interface Logger {
  info(message: string): void;
  /** Something the user should see even in a collapsed log (an annotation in the action). */
  notice(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Runs `fn` inside a named, collapsible section (a log group in the action). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Where the host has them: a flat section that stays open until the next or endSection (an epoch's lines). */
  section?(name: string): void;
  endSection?(): void;
}

/** A Logger for libraries and tests: plain lines to a sink (stderr by default), groups as headers. */
export function lineLogger(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  return {
    info: (m) => write(m),
    notice: (m) => write(`notice: ${m}`),
    warning: (m) => write(`warning: ${m}`),
    error: (m) => write(`error: ${m}`),
    async group(name, fn) {
      write(`== ${name}`);
      return fn();
    },
  };
}
