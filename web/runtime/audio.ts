// Audio for adapters: WAV files and PCM samples → mono float samples at the rate a model wants. The
// rate and length are checked before decoding (web/contract/wav.ts): with rates of at least 8 kHz,
// resampling to a model's rate makes at most rate/8000 samples of each one given.
import { audioRefusal, readWavHeader } from '../contract/index.ts';
import { InputError } from './errors.ts';
import { mediaLimits, refusedInput } from './limits.ts';

export interface Pcm {
  samples: Float32Array;
  sampleRate: number;
}

/** Parses a RIFF/WAVE file: integer PCM (8, 16, 24, 32 bit) or 32-bit float, channels mixed to mono.
 *  `maxSeconds`: longer audio, or a rate outside the contract's range, is refused before any sample is read. */
export function parseWav(bytes: Uint8Array, maxSeconds = mediaLimits.maxAudioSeconds): Pcm {
  const header = readWavHeader(bytes);
  if (typeof header === 'string') throw new Error(header);
  const { format, channels, sampleRate, bits, frames } = header;
  const refused = audioRefusal(frames, sampleRate, maxSeconds);
  if (refused) throw refusedInput(`its header declares ${refused.why}`, refused.code);
  const width = bits / 8;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, header.dataBytes);
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
      const e = err as Error & { code?: unknown };
      throw Object.assign(new InputError(`input "${name}": ${e.message}`), e.code !== undefined && { code: e.code });
    }
  } else if (Array.isArray(value) || value instanceof Float32Array) {
    const refused = audioRefusal(value.length, sampleRate, mediaLimits.maxAudioSeconds);
    if (refused) throw refusedInput(`input "${name}": ${refused.why}`, refused.code);
    pcm = { samples: Float32Array.from(value as ArrayLike<number>), sampleRate };
  } else {
    throw new InputError(`input "${name}" must be a WAV data URI or an array of samples`);
  }
  return resample(pcm.samples, pcm.sampleRate, rate);
}
