export interface Log {
  info(message: string): void;
  warn(message: string): void;
}

export function consoleLog(quiet = false): Log {
  const stamp = () => new Date().toISOString().slice(11, 23);
  return {
    info: (m) => { if (!quiet) console.log(`${stamp()} ${m}`); },
    warn: (m) => console.warn(`${stamp()} warning: ${m}`),
  };
}

export const silentLog: Log = { info() {}, warn() {} };
