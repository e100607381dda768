import { spawn, type ChildProcess } from 'node:child_process';

/** Starts a Node child process and waits for the line `pattern` matches in its output. */
export function startChild(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      text += d;
      const m = pattern.exec(text);
      if (m) resolve({ child, match: m });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${text}`)));
  });
}
