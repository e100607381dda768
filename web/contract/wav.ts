// A WAV file's declared format, read from its chunks before any sample is decoded or resampled: a 21 KB
// file may claim a rate of 1 Hz (resampled to 16 kHz: ×16000 the samples) or hours of audio. The
// bridge's input check (bridge/core/validate.ts) and the page's parser (web/runtime/audio.ts) both
// refuse it from this. The chunk walk is linear: each step moves past one chunk header at least.

/** Sample rates a WAV file or PCM input may have: telephone audio to high-resolution studio audio. The
 *  floor keeps resampling to a model's rate (16 kHz and below here) within twice the input's samples. */
export const MIN_SAMPLE_RATE = 8_000;
export const MAX_SAMPLE_RATE = 384_000;

/** Seconds of audio one query may carry by default (--max-audio-seconds). */
export const DEFAULT_MAX_AUDIO_SECONDS = 600;

export interface WavHeader {
  /** 1: integer PCM, 3: float (WAVE_FORMAT_EXTENSIBLE resolved to its sub-format). */
  format: number;
  channels: number;
  sampleRate: number;
  bits: number;
  /** Where the samples start, and how many bytes of them the file holds (not what the chunk claims). */
  dataOffset: number;
  dataBytes: number;
  /** Sample frames (one sample per channel) the file holds. */
  frames: number;
}

/** The header of a RIFF/WAVE file, or why it has none that can be used. */
export function readWavHeader(bytes: Uint8Array): WavHeader | string {
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  const u16 = (at: number) => bytes[at]! | (bytes[at + 1]! << 8);
  const u32 = (at: number) => (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return 'not a WAV file (no RIFF/WAVE header)';
  let format = 0, channels = 0, sampleRate = 0, bits = 0;
  let data: { offset: number; bytes: number } | undefined;
  for (let at = 12; at + 8 <= bytes.byteLength;) {
    const id = tag(at);
    const size = u32(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.byteLength) return 'its fmt chunk is truncated';
      format = u16(body);
      channels = u16(body + 2);
      sampleRate = u32(body + 4);
      bits = u16(body + 14);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID's first two bytes.
      if (format === 0xfffe && size >= 26 && body + 26 <= bytes.byteLength) format = u16(body + 24);
    } else if (id === 'data' && !data) {
      data = { offset: body, bytes: Math.min(size, bytes.byteLength - body) };
    }
    at = body + size + (size & 1);
  }
  if (!channels || !sampleRate) return 'WAV file has no fmt chunk';
  if (!data) return 'WAV file has no data chunk';
  const width = bits / 8;
  if (!(format === 1 && [1, 2, 3, 4].includes(width)) && !(format === 3 && width === 4)) {
    return `WAV format ${format} with ${bits}-bit samples is not supported (use PCM or 32-bit float)`;
  }
  return { format, channels, sampleRate, bits, dataOffset: data.offset, dataBytes: data.bytes, frames: Math.floor(data.bytes / (width * channels)) };
}

/** Why audio of `frames` samples at `sampleRate` is refused, or undefined when it may be decoded. */
export function audioRefusal(frames: number, sampleRate: number, maxSeconds: number): { code: 'bad_request' | 'too_large'; why: string } | undefined {
  if (!(sampleRate >= MIN_SAMPLE_RATE && sampleRate <= MAX_SAMPLE_RATE)) {
    return { code: 'bad_request', why: `a sample rate of ${sampleRate} Hz is outside ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz` };
  }
  const seconds = frames / sampleRate;
  if (seconds > maxSeconds) {
    return { code: 'too_large', why: `${round(seconds)} s of audio is over the limit of ${maxSeconds} s (--max-audio-seconds)` };
  }
  return undefined;
}

const round = (v: number) => Math.round(v * 10) / 10;
