// Audio for adapters: WAV files and PCM samples → mono float samples at the rate a model wants.
import { InputError } from './errors.ts';

export interface Pcm {
  samples: Float32Array;
  sampleRate: number;
}

/** Parses a RIFF/WAVE file: integer PCM (8, 16, 24, 32 bit) or 32-bit float, channels mixed to mono. */
export function parseWav(bytes: Uint8Array): Pcm {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV file (no RIFF/WAVE header)');
  let format = 0, channels = 0, sampleRate = 0, bits = 0;
  let data: Uint8Array | undefined;
  for (let at = 12; at + 8 <= bytes.byteLength;) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID's first two bytes.
      if (format === 0xfffe && size >= 26) format = view.getUint16(body + 24, true);
    } else if (id === 'data') {
      data = bytes.subarray(body, Math.min(body + size, bytes.byteLength));
    }
    at = body + size + (size & 1);
  }
  if (!channels || !sampleRate) throw new Error('WAV file has no fmt chunk');
  if (!data) throw new Error('WAV file has no data chunk');
  const width = bits / 8;
  if (!(format === 1 && [1, 2, 3, 4].includes(width)) && !(format === 3 && width === 4)) {
    throw new Error(`WAV format ${format} with ${bits}-bit samples is not supported (use PCM or 32-bit float)`);
  }
  const frames = Math.floor(data.byteLength / (width * channels));
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = (at: number): number => {
    if (format === 3) return dv.getFloat32(at, true);
    switch (width) {
      case 1: return (dv.getUint8(at) - 128) / 128;
      case 2: return dv.getInt16(at, true) / 32768;
      case 3: return ((dv.getUint8(at) | (dv.getUint8(at + 1) << 8) | (dv.getInt8(at + 2) << 16))) / 8388608;
      default: return dv.getInt32(at, true) / 2147483648;
    }
  };
  const samples = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read((f * channels + c) * width);
    samples[f] = sum / channels;
  }
  return { samples, sampleRate };
}

/** Linear-interpolation resampling (enough for speech detection; no anti-aliasing filter). */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return samples;
  const n = Math.floor((samples.length * to) / from);
  const out = new Float32Array(n);
  const step = from / to;
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const i0 = Math.floor(x);
    const t = x - i0;
    out[i] = samples[i0]! * (1 - t) + (samples[Math.min(i0 + 1, samples.length - 1)] ?? 0) * t;
  }
  return out;
}

/** An audio input (WAV bytes, or PCM samples at `sampleRate`) as mono samples at `rate`. */
export function audioInput(value: unknown, name: string, sampleRate: number, rate: number): Float32Array {
  let pcm: Pcm;
  if (value instanceof Uint8Array) {
    try {
      pcm = parseWav(value);
    } catch (err) {
      throw new InputError(`input "${name}": ${(err as Error).message}`);
    }
  } else if (Array.isArray(value) || value instanceof Float32Array) {
    pcm = { samples: Float32Array.from(value as ArrayLike<number>), sampleRate };
  } else {
    throw new InputError(`input "${name}" must be a WAV data URI or an array of samples`);
  }
  return resample(pcm.samples, pcm.sampleRate, rate);
}
