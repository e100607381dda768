#!/usr/bin/env node
// Runs examples/runtime/program (JavaScript) or, with --python, examples/runtime/python (Python) in the
// page through the runtime WebSocket, then reads what it left: its log, a placeholder, statistics of its
// training data, and predictions of the model it trained.
//
//   npm start -- --data-dir examples/runtime/data      (in another terminal; add --headless without a browser)
//   node examples/runtime/client.mjs [--python] [ws://127.0.0.1:8765]
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const python = process.argv.includes('--python');
const url = process.argv.slice(2).find((a) => a !== '--python') ?? 'ws://127.0.0.1:8765';
const file = (name) => ({ filename: name, content: readFileSync(new URL(`${python ? 'python' : 'program'}/${name}`, import.meta.url), 'utf8') });

const ws = new WebSocket(url);
await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });

// Replies carry the id of their request; EXECUTION_FINISHED is pushed when the program ends.
let nextId = 1;
const waiting = new Map();
let onFinished;
ws.on('message', (data) => {
  const reply = JSON.parse(data.toString());
  if (reply.type === '[state]:EXECUTION_FINISHED') return onFinished?.(reply);
  waiting.get(reply.id)?.(reply);
});
function ask(message) {
  const id = nextId++;
  ws.send(JSON.stringify({ ...message, id }));
  return new Promise((resolve, reject) => waiting.set(id, (reply) => (reply.error ? reject(new Error(reply.error)) : resolve(reply))));
}

const finished = new Promise((resolve) => { onFinished = resolve; });
// The Python program reads speeds.csv from --data-dir (under /data): start the bridge with it.
const run = await ask(python
  ? { action: 'run', python: { number: 2, files: [file('speedmain.py'), file('speedPrediction2.py')], mainfile: 'speedmain.py' } }
  : { action: 'run', javascript: { number: 2, files: [file('main.js'), file('regression.js')], mainfile: 'main.js' } });
console.log(`session ${run.sessionId}: ${run.status}`);
const end = await finished;
const status = await ask({ action: 'status', sessionId: run.sessionId });
console.log(`${end.status} in ${Date.parse(status.endedAt) - Date.parse(status.startedAt)} ms`);
for (const line of status.log) console.log(`  log: ${line}`);
if (end.status !== 'finished') throw new Error(`the program ${end.status}: ${JSON.stringify(end.error)}`);

const { value } = await ask({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'coefficients' } });
console.log('coefficients:', value);
const stats = await ask({ action: 'get_stats', placeholder: { sessionId: run.sessionId, name: 'training' } });
console.log(`training data: shape ${JSON.stringify(stats.shape)}`);
for (const [column, s] of Object.entries(stats.columns)) {
  console.log(`  ${column}: mean ${s.mean.toFixed(3)}, std ${s.standardDeviation.toFixed(3)}, min ${s.minimum.toFixed(3)}, max ${s.maximum.toFixed(3)}`);
}
const one = await ask({ action: 'run_model', model: { sessionId: run.sessionId, name: 'line', is_data: true, data: { x: 2 } } });
console.log('line at x = 2:', one.output);
try {
  const many = await ask({ action: 'run_model', model: { sessionId: run.sessionId, name: 'line', is_data: false, data: 'points.json' } });
  console.log('line at points.json:', many.output);
} catch (err) {
  console.log(`(points.json: ${err.message}; start the bridge with --data-dir examples/runtime/data to read it)`);
}
ws.close();
