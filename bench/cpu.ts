// CPU time by process, read from /proc (Linux): what each process of a request's path spends on it. The
// bridge's page is a Chromium of its own, started by the bridge, so the bridge's descendants are its page.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

interface Proc { pid: number; ppid: number; args: string }

/** A process's kind: Chromium's by its --type (the network service by its name), else what `names` says. */
function kindOf(p: Proc, names: Map<number, string>): string {
  const named = names.get(p.pid);
  if (named) return named;
  const type = /--type=(\S+)/.exec(p.args)?.[1];
  if (!type) return /chrom/.test(p.args) ? 'chromium (browser)' : 'other';
  if (type === 'utility') return `chromium (${/--utility-sub-type=(\w+)/.exec(p.args)?.[1] ?? 'utility'})`;
  return `chromium (${type})`;
}

/** Seconds of CPU (user and system) so far of `roots` and every descendant, summed by kind. */
export function cpuByKind(roots: Map<number, string>): Record<string, number> | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const procs: Proc[] = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' }).trim().split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }] : [];
  });
  const mine = new Set(roots.keys());
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
  }
  const out: Record<string, number> = {};
  for (const p of procs) {
    if (!mine.has(p.pid)) continue;
    try {
      // utime and stime, fields 14 and 15, in clock ticks (100 a second on Linux), after the command's ")".
      const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const kind = kindOf(p, roots);
      out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // The process ended in between.
    }
  }
  return out;
}

/** Runs `work` (which returns how many requests it made) and gives each kind's CPU µs per request. */
export async function cpuPerRequest(roots: Map<number, string>, work: () => Promise<number>): Promise<{ requests: number; usPerRequest?: Record<string, number> }> {
  const before = cpuByKind(roots);
  const requests = await work();
  const after = cpuByKind(roots);
  if (!before || !after || !requests) return { requests };
  const usPerRequest: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const us = ((v - (before[k] ?? 0)) / requests) * 1e6;
    if (us >= 0.5) usPerRequest[k] = us;
  }
  return { requests, usPerRequest };
}
