// The pure parts every listener shares: the address it prints, and who hears the default model.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { urlOf } from '../bridge/listener.ts';
import { addressedAs } from '../bridge/protocols/addressed.ts';

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
