// Vanilla Pure Data (Debian's puredata-core) as an OSC client of the real bridge and a fake page, with the
// patch users open (examples/pd/pagebridge-osc.pd): [oscformat] registers the [netreceive] port as a float,
// [file handle] reads a JPEG that [oscformat -f b query] sends as a blob, and a query the bridge refuses
// sends its error to the same port. What [netreceive] → [oscparse] gets, and anything that comes back to
// [netsend]'s own port, is printed on Pd's stderr.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { CANNED_FACES } from './helpers/fake-page-answers.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { fixture } from './helpers/fixtures.ts';
import { sleep, until } from './helpers/wait.ts';

const PATCH = fileURLToPath(new URL('../examples/pd/pagebridge-osc.pd', import.meta.url));
const JPEG = fileURLToPath(new URL('./fixtures/astronaut-256.jpg', import.meta.url));
const hasPd = spawnSync('pd', ['-version'], { stdio: 'ignore' }).status === 0;

/** A UDP port that was free a moment ago ([netreceive] needs a number). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The JSON a [print] line shows (a backslash before a comma, semicolon or dollar where Pd escapes one). */
const printedJson = (line: string, name: string) => JSON.parse(line.slice(`${name}: `.length).replace(/^symbol /, '').replace(/\\([,;$])/g, '$1'));

describe('Pd (vanilla) over OSC: the example patch', { skip: hasPd ? false : 'pd is not installed (apt-get install puredata-core)' }, () => {
  let f: FakeBridge;
  // The picture model takes an image: the patch's /query b is its query.
  before(async () => { f = await startFakeBridge({ model: 'picture' }); });
  after(async () => { await f?.close(); });

  it('registers its [netreceive] port as f <port>, gets the answer to a blob query and the error of a bad one there, once each, and nothing at [netsend]’s port', async () => {
    const listen = await freeUdpPort();
    const oscPort = new URL(f.listeners.osc!).port;
    // What the patch's message boxes send when clicked, with this test's ports and image.
    const pd = spawn('pd', [
      '-nogui', '-noaudio', '-stderr', '-open', PATCH,
      '-send', `pb-listen ${listen}`, '-send', `pb-bridge connect 127.0.0.1 ${oscPort}`, '-send', `pb-connect ${listen}`,
      '-send', `pb-query-file symbol ${JPEG}`, '-send', 'pb-query-number 42',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    pd.stderr.on('data', (d) => { err += d; });
    const lines = (name: string) => err.split('\n').filter((l) => l.startsWith(`${name}: `));
    try {
      await until(() => lines('pagebridge-data').length && lines('pagebridge-error').length, 20_000, `Pd to print an answer and an error (stderr so far: ${err.slice(0, 2000)})`);
      // Long enough for a second copy of either to arrive, were one sent.
      await sleep(300);
    } finally {
      pd.kill();
    }
    assert.ok(f.log.infos.includes(`osc: 127.0.0.1:${listen} connected to the default model`), f.log.infos.join('\n'));
    assert.equal(lines('pagebridge-data').length, 1, err);
    assert.deepEqual(printedJson(lines('pagebridge-data')[0]!, 'pagebridge-data'), { faces: CANNED_FACES, received: fixture('astronaut-256.jpg').byteLength });
    assert.equal(lines('pagebridge-error').length, 1, err);
    assert.deepEqual(printedJson(lines('pagebridge-error')[0]!, 'pagebridge-error'), {
      error: '/query takes one argument: s (the input JSON) or b (a JPEG or PNG image); got f',
    });
    assert.deepEqual(lines('pagebridge-netsend'), [], 'nothing comes back to [netsend]’s own port');
    assert.deepEqual(lines('error'), [], err);
  });
});
