// Vanilla Pure Data (Debian's puredata-core) as an OSC client of the real bridge and a real headless page,
// with the patch users open (examples/pd/pagebridge-osc.pd): [oscformat] registers the [netreceive] port
// as floats with numeric answers in two face slots, [file handle] reads a JPEG that
// [oscformat -f b query] sends as a blob, the faces come back as numbers that [route] takes apart (no
// JSON parser), and a query the bridge refuses sends its error to the same port. What [netreceive] →
// [oscparse] gets, and anything that comes back to [netsend]'s own port, is printed on Pd's stderr.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freeUdpPort } from './helpers/osc.ts';
import { startHarness, type Harness } from './helpers/page.ts';
import { sleep, until } from './helpers/wait.ts';

const PATCH = fileURLToPath(new URL('../examples/pd/pagebridge-osc.pd', import.meta.url));
const JPEG = fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url));
const hasPd = spawnSync('pd', ['-version'], { stdio: 'ignore' }).status === 0;


/** The JSON a [print] line shows (a backslash before a comma, semicolon or dollar where Pd escapes one). */
const printedJson = (line: string, name: string) => JSON.parse(line.slice(`${name}: `.length).replace(/^symbol /, '').replace(/\\([,;$])/g, '$1'));
/** The numbers a [print] line shows. */
const printedNumbers = (line: string, name: string) => line.slice(`${name}: `.length).replace(/^list /, '').trim().split(/\s+/).map(Number);

describe('Pd (vanilla) over OSC: the example patch', { skip: hasPd ? false : 'pd is not installed (apt-get install puredata-core)' }, () => {
  let h: Harness;
  before(async () => { h = await startHarness({ model: 'face-detection' }); });
  after(async () => { await h?.close(); });

  it('registers its [netreceive] port as numeric, gets the faces of a blob query as numbers and the error of a bad one there, once each, and nothing at [netsend]’s port', async () => {
    const listen = await freeUdpPort();
    const oscPort = new URL(h.bridge.listeners.osc!).port;
    // What the patch's message boxes send when clicked, with this test's ports and image.
    const pd = spawn('pd', [
      '-nogui', '-noaudio', '-stderr', '-open', PATCH,
      '-send', `pb-listen ${listen}`, '-send', `pb-bridge connect 127.0.0.1 ${oscPort}`, '-send', `pb-connect ${listen} numeric 2`,
      '-send', `pb-query-file symbol ${JPEG}`, '-send', 'pb-query-number 42',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    pd.stderr.on('data', (d) => { err += d; });
    const lines = (name: string) => err.split('\n').filter((l) => l.startsWith(`${name}: `));
    try {
      await until(() => lines('face-1-box').length && lines('pagebridge-error').length, 30_000, `Pd to print the faces and an error (stderr so far: ${err.slice(0, 2000)})`);
      // Long enough for a second copy of either to arrive, were one sent.
      await sleep(300);
    } finally {
      pd.kill();
    }
    // One face (the astronaut's), in the first of two slots; the second zeroed.
    assert.deepEqual(lines('faces-count').map((l) => printedNumbers(l, 'faces-count')), [[1]], err);
    const [box] = lines('face-0-box').map((l) => printedNumbers(l, 'face-0-box'));
    assert.equal(box!.length, 4, err);
    assert.ok(box!.every((v) => v > 0 && v < 1), `a box inside the image: ${box}`);
    assert.ok(printedNumbers(lines('face-0-score')[0]!, 'face-0-score')[0]! > 0.5, err);
    assert.deepEqual(lines('face-1-box').map((l) => printedNumbers(l, 'face-1-box')), [[0, 0, 0, 0]], err);
    assert.deepEqual(lines('pagebridge-data'), [], 'no JSON for a numeric client');
    assert.equal(lines('pagebridge-error').length, 1, err);
    assert.deepEqual(printedJson(lines('pagebridge-error')[0]!, 'pagebridge-error'), {
      error: '/query takes one argument: s (the input JSON) or b (a JPEG or PNG image); got f',
    });
    assert.deepEqual(lines('pagebridge-netsend'), [], 'nothing comes back to [netsend]’s own port');
    assert.deepEqual(lines('error'), [], err);
  });
});
