// Checks a query against a model's info before it reaches the page, so that a bad query is
// answered at once with the input's name, and images travel on as bytes. Images and WAV files are held
// to what they declare in their headers (--max-pixels, --max-audio-seconds, the sample rates the
// contract allows): one small file must not cost the page seconds and gigabytes to decode.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  audioRefusal, decodeDataUri, imageRefusal, readWavHeader, DEFAULT_MEDIA_LIMITS,
  type MediaLimits, type ModelInfo, type Port, type Values,
} from '../../web/contract/index.ts';
import { BridgeError } from './errors.ts';

const ajv = new Ajv({ allErrors: false, strict: false });

/** JSON Schema for one of Runway's value types (images are checked apart: they may be bytes). */
function schemaFor(port: Port): object {
  switch (port.type) {
    case 'text': return { type: 'string' };
    case 'number': return {
      type: 'number',
      ...(typeof port.min === 'number' ? { minimum: port.min } : {}),
      ...(typeof port.max === 'number' ? { maximum: port.max } : {}),
    };
    case 'boolean': return { type: 'boolean' };
    case 'category': return Array.isArray(port.oneOf) ? { enum: port.oneOf } : { type: 'string' };
    case 'vector': return {
      type: 'array', items: { type: 'number' },
      ...(typeof port.length === 'number' ? { minItems: port.length, maxItems: port.length } : {}),
    };
    case 'array': return { type: 'array' };
    // An audio input is a WAV file (checked apart, like images) or an array of PCM samples.
    case 'audio': return { type: 'array', items: { type: 'number' } };
    case 'tensor': return {
      type: 'object', required: ['dims', 'data'],
      properties: {
        dtype: { type: 'string' },
        dims: { type: 'array', items: { type: 'integer', minimum: 0 } },
        data: { type: 'array', items: { type: ['number', 'boolean', 'string'] } },
      },
    };
    default: return {};
  }
}

function describe(port: Port): string {
  switch (port.type) {
    case 'image': return 'an image (a JPEG or PNG data URI, or base64)';
    case 'audio': return 'audio (a WAV data URI, or an array of PCM samples)';
    case 'vector': return typeof port.length === 'number' ? `a vector of ${port.length} numbers` : 'a vector of numbers';
    case 'category': return Array.isArray(port.oneOf) ? `one of ${port.oneOf.map((v) => JSON.stringify(v)).join(', ')}` : 'a category';
    case 'tensor': return 'a tensor ({"dtype", "dims", "data"})';
    default: return `a ${port.type}`;
  }
}

export interface InputChecker {
  (inputs: unknown): Values;
}

/** Compiles a checker for a model's inputs: it returns the inputs with images as bytes, or throws. */
export function compileInputChecker(info: ModelInfo, limits: MediaLimits = DEFAULT_MEDIA_LIMITS): InputChecker {
  const validators = new Map<string, ValidateFunction>();
  for (const port of info.inputs) {
    if (port.type !== 'image') validators.set(port.name, ajv.compile(schemaFor(port)));
  }
  return (inputs) => {
    if (!inputs || typeof inputs !== 'object' || Array.isArray(inputs)) {
      throw new BridgeError('bad_request', `the query must be a JSON object of inputs (${info.inputs.map((p) => `"${p.name}"`).join(', ')})`);
    }
    const given = inputs as Values;
    const out: Values = { ...given };
    for (const port of info.inputs) {
      const value = given[port.name];
      if (value === undefined || value === null) {
        if (port.default !== undefined) continue;
        throw new BridgeError('bad_request', `missing input "${port.name}": expected ${describe(port)}`);
      }
      if (port.type === 'image') {
        out[port.name] = checkImage(port.name, value, limits);
        continue;
      }
      if (port.type === 'audio' && !Array.isArray(value)) {
        out[port.name] = checkWav(port.name, value, limits);
        continue;
      }
      const validate = validators.get(port.name)!;
      if (!validate(value)) {
        throw new BridgeError('bad_request', `input "${port.name}" ${ajvMessage(validate.errors)}: expected ${describe(port)}`);
      }
    }
    return out;
  };
}

function ajvMessage(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'is not valid';
  return `${e.instancePath ? `at ${e.instancePath} ` : ''}${e.message ?? 'is not valid'}`;
}

function checkImage(name: string, value: unknown, limits: MediaLimits): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string') {
    bytes = decodeDataUri(value, { bare: true });
    if (!bytes) throw new BridgeError('bad_request', `input "${name}" is not a base64 data URI: expected an image (data:image/jpeg;base64,… or data:image/png;base64,…)`);
  } else {
    throw new BridgeError('bad_request', `input "${name}" must be a string: expected an image (a JPEG or PNG data URI, or base64)`);
  }
  const refused = imageRefusal(bytes, limits.maxPixels);
  if (refused?.code === 'too_large') throw new BridgeError('too_large', `input "${name}" is too large: ${refused.why}`);
  if (refused) throw new BridgeError('bad_request', `input "${name}" does not decode as an image (${refused.why})`);
  return bytes;
}

function checkWav(name: string, value: unknown, limits: MediaLimits): Uint8Array {
  const bytes = value instanceof Uint8Array ? value : typeof value === 'string' ? decodeDataUri(value, { bare: true }) : undefined;
  if (!bytes) throw new BridgeError('bad_request', `input "${name}" must be a WAV data URI (data:audio/wav;base64,…) or an array of PCM samples`);
  const header = readWavHeader(bytes);
  if (typeof header === 'string') throw new BridgeError('bad_request', `input "${name}": ${header} (${bytes.byteLength} bytes)`);
  const refused = audioRefusal(header.frames, header.sampleRate, limits.maxAudioSeconds);
  if (refused) throw new BridgeError(refused.code, `input "${name}": its header declares ${refused.why}`);
  return bytes;
}
