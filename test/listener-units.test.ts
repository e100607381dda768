// The pure parts every listener shares (the address it prints, who hears the default model), and the
// one check of the bridge's options.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { urlOf } from '../bridge/listener.ts';
import { addressedAs } from '../bridge/protocols/addressed.ts';
import { httpTimeouts } from '../bridge/protocols/connections.ts';
import { BridgeError, isModelFailure } from '../bridge/core/errors.ts';
import { checkOption, OPTION_SPECS, resolveOptions } from '../bridge/options.ts';

describe('listener addresses', () => {
  it('prints the address a client on this machine writes', () => {
    assert.equal(urlOf('http', '127.0.0.1', 8000), 'http://127.0.0.1:8000');
    assert.equal(urlOf('tcp', '0.0.0.0', 6000), 'tcp://127.0.0.1:6000');
    assert.equal(urlOf('ws', '::', 9000), 'ws://[::1]:9000');
    assert.equal(urlOf('udp', '::1', 57100), 'udp://[::1]:57100');
    assert.equal(urlOf('http', 'localhost', 3000), 'http://localhost:3000');
  });

  it('the default model is addressed by its id and as the default; others by id only', () => {
    assert.deepEqual(addressedAs('face', 'face'), ['face', undefined]);
    assert.deepEqual(addressedAs('ocr', 'face'), ['ocr']);
    assert.deepEqual(addressedAs('ocr', undefined), ['ocr']);
  });
});

describe('connections and errors', () => {
  it('HTTP timers from --idle-timeout: Node\'s own defaults at 300 s, all within a short one', () => {
    assert.deepEqual(httpTimeouts(300_000), { headersTimeout: 60_000, requestTimeout: 300_000, keepAliveTimeout: 72_000, connectionsCheckingInterval: 15_000 });
    assert.deepEqual(httpTimeouts(1000), { headersTimeout: 1000, requestTimeout: 1000, keepAliveTimeout: 1000, connectionsCheckingInterval: 250 });
  });

  it('only a query that reached its model and failed there is the model\'s failure', () => {
    const failure = (code: ConstructorParameters<typeof BridgeError>[0], reached: boolean) => isModelFailure(new BridgeError(code, 'x'), reached);
    for (const code of ['model_failed', 'timeout', 'unavailable', 'too_large'] as const) {
      assert.equal(failure(code, true), true, code);
      assert.equal(failure(code, false), false, code);
    }
    for (const code of ['bad_request', 'not_found', 'busy', 'dropped'] as const) assert.equal(failure(code, true), false, code);
  });
});

describe('options: one check for the command line and startBridge()', () => {
  it('fills in the defaults and keeps what is given', () => {
    const o = resolveOptions({ tcpPort: 0, allowOrigin: ['https://editor.p5js.org'], latestWins: false });
    assert.deepEqual([o.host, o.httpPort, o.tcpPort, o.timeout, o.allowOrigin, o.latestWins], ['127.0.0.1', 8000, 0, 30, ['https://editor.p5js.org'], false]);
    assert.equal(resolveOptions({ timeout: undefined }).timeout, 30);
  });

  it('refuses a bad value naming its flag, and an option that does not exist', () => {
    assert.throws(() => resolveOptions({ tcpPort: 70000 }), /--tcp-port must be a port number 0-65535/);
    assert.throws(() => resolveOptions({ httpPort: 1.5 }), /--http-port must be a port number/);
    assert.throws(() => resolveOptions({ maxQueue: 0 }), /--max-queue must be a positive number/);
    assert.throws(() => resolveOptions({ timeout: Number.NaN }), /--timeout must be a positive number/);
    assert.throws(() => resolveOptions({ host: '' }), /--host must be a non-empty string/);
    assert.throws(() => resolveOptions({ allowOrigin: 'https://x' as never }), /--allow-origin must be a list/);
    assert.throws(() => resolveOptions({ quiet: 'yes' as never }), /--quiet is on or off/);
    assert.throws(() => resolveOptions({ headless: 1 as never }), /"headless" is true or false/);
    assert.throws(() => resolveOptions({ tcpport: 1 } as never), /unknown option "tcpport"/);
    assert.throws(() => resolveOptions({ oscReplyPort: 70000 }), /--osc-reply-port must be a port number 0-65535 \(0 turns it off\)/);
    assert.throws(() => resolveOptions({ oscClientTtl: 0 }), /--osc-client-ttl must be a positive number/);
    assert.throws(() => resolveOptions({ oscNumeric: 'yes' as never }), /--osc-numeric is on or off/);
    assert.throws(() => resolveOptions({ maxConnections: 0.5 }), /--max-connections must be a whole number, 1 or more/);
    assert.throws(() => resolveOptions({ maxConnections: 0 }), /--max-connections must be a whole number, 1 or more/);
    assert.throws(() => resolveOptions({ idleTimeout: 0 }), /--idle-timeout must be a positive number/);
    assert.deepEqual((({ maxConnections, idleTimeout }) => ({ maxConnections, idleTimeout }))(resolveOptions({})), { maxConnections: 256, idleTimeout: 300 });
    assert.deepEqual(
      (({ oscReplyPort, oscClientTtl, oscNumeric }) => ({ oscReplyPort, oscClientTtl, oscNumeric }))(resolveOptions({ oscReplyPort: 0 })),
      { oscReplyPort: 0, oscClientTtl: 3600, oscNumeric: false });
  });

  it('takes numbers as the command line gives them, as text', () => {
    const spec = OPTION_SPECS.find((s) => s.key === 'oscPort')!;
    assert.equal(checkOption(spec, '57100'), 57100);
    assert.throws(() => checkOption(spec, 'abc'), /--osc-port must be a port number/);
  });
});
