// Section 5a (`--only live`): frames pushed at a fixed rate over Socket.IO and LabGraph.
import type { BenchRun } from '../bench-run.ts';
import type { Harness } from '../harness.ts';
import { ms, summarize, table } from '../lib.ts';
import { labgraphClient, socketioClient, type Client } from '../../test/helpers/clients.ts';
import { fixture } from '../../test/helpers/fixtures.ts';

/** Frames pushed at a fixed rate for a few seconds: what comes back, how late, how many are lost. */
export async function live(h: Harness, { quick, results, say }: BenchRun) {
  const frame = { image: `data:image/jpeg;base64,${fixture('astronaut-256.jpg').toString('base64')}` };
  const seconds = quick ? 2 : 6;
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown> = {};
  for (const fps of [30, 60]) {
    for (const name of ['Socket.IO', 'LabGraph']) {
      const latencies: number[] = [];
      // Frames the client saw dropped for newer ones (latest wins), and frames that failed otherwise.
      let sent = 0, answered = 0, dropped = 0, failed = 0;
      const pushedAt: number[] = [];
      let lastOutput = performance.now();
      let client: Client;
      if (name === 'Socket.IO') client = await socketioClient(h.listeners, 'face-detection');
      else {
        // LabGraph sends nothing for a dropped sample, so each output is matched to the sample the bridge
        // picks: the first output answers sample 0; each later one the newest sample pushed before the
        // previous output arrived (the one that waited), else the next one pushed after it. A sample still
        // on its way to the bridge then counts as picked: latencies may be short by up to a frame.
        const lg = await labgraphClient(h.listeners, 'face-detection');
        let last = -1;
        lg.onBatch((samples) => {
          const now = performance.now();
          for (const _ of samples) {
            let n = last + 1;
            while (n + 1 < pushedAt.length && pushedAt[n + 1]! <= lastOutput) n++;
            if (n >= pushedAt.length) break;
            latencies.push(now - pushedAt[n]!);
            answered++;
            last = n;
          }
          lastOutput = now;
        });
        client = lg;
      }
      const started = performance.now();
      lastOutput = started;
      const pushes: Promise<void>[] = [];
      for (let i = 0; performance.now() - started < seconds * 1000; i++) {
        const due = started + (i * 1000) / fps;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        sent++;
        const t = performance.now();
        pushedAt.push(t);
        const answer = client.once(frame);
        if (name === 'Socket.IO') {
          pushes.push(answer.then(() => { answered++; latencies.push(performance.now() - t); },
            (err: Error) => { if (/^dropped:/.test(err.message)) dropped++; else failed++; }));
        }
      }
      const window = (performance.now() - started) / 1000;
      if (name === 'Socket.IO') await Promise.race([Promise.all(pushes), new Promise((r) => setTimeout(r, 30_000))]);
      else {
        // The last sample pushed is always answered: wait until outputs stop coming.
        const end = performance.now() + 30_000;
        while (performance.now() - lastOutput < 1000 && performance.now() < end) await new Promise((r) => setTimeout(r, 100));
        dropped = sent - answered;
      }
      client.close();
      const lat = summarize(latencies);
      figures[`${name}@${fps}`] = { sent, answered, dropped, failed, latency: lat };
      rows.push([name, fps, (answered / window).toFixed(1), ms(lat.p50), ms(lat.p95), dropped, failed]);
    }
  }
  results.live = figures;
  say(table(`5a. Live: frames (256×256 JPEG, face-detection) pushed at a fixed rate for ${seconds} s; stale frames dropped (latest wins)`,
    ['protocol', 'pushed fps', 'answered fps', 'latency p50', 'latency p95', 'dropped', 'failed'], rows));
  say('Dropped: Socket.IO acknowledgements that said so; LabGraph sends nothing for a dropped sample, so its figure is the samples not answered, and its latencies match each output to the sample the bridge would have picked.');
}
