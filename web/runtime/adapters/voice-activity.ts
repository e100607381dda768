// Silero VAD v5: a speech probability per 512-sample frame at 16 kHz (32 ms). The model is recurrent;
// a stream id keeps its state, the last 64 samples of context and any partial frame between calls.
import type { Tensor } from '../engines/tensor.ts';
import type { Adapter } from './adapter.ts';
import { audioInput } from '../audio.ts';

const RATE = 16000;
const FRAME = 512;
const CONTEXT = 64;
const MAX_STREAMS = 32;

export interface Segment { start: number; end: number }

interface StreamState {
  state: Float32Array;
  context: Float32Array;
  pending: Float32Array;
  /** Frames seen so far in this stream (for segment times). */
  frames: number;
  /** Hysteresis state carried over between calls. */
  inSpeech: boolean;
  speechStart: number;
  silenceStart: number;
}

const freshStream = (): StreamState => ({
  state: new Float32Array(2 * 128), context: new Float32Array(CONTEXT), pending: new Float32Array(0),
  frames: 0, inSpeech: false, speechStart: 0, silenceStart: -1,
});

const streams = new Map<string, StreamState>();

export interface SegmentParams { positiveThreshold: number; negativeThreshold: number; minSpeechSeconds: number; minSilenceSeconds: number }

/**
 * Turns frame probabilities into speech segments with hysteresis: speech starts above
 * `positiveThreshold`, ends after `minSilenceSeconds` below `negativeThreshold`; segments shorter than
 * `minSpeechSeconds` are dropped. `s` carries the state across calls; `final` closes an open segment.
 */
export function segmentSpeech(probs: ArrayLike<number>, firstFrame: number, frameSeconds: number, p: SegmentParams,
  s: Pick<StreamState, 'inSpeech' | 'speechStart' | 'silenceStart'>, final: boolean): Segment[] {
  const out: Segment[] = [];
  const close = (endFrame: number) => {
    const seg = { start: s.speechStart * frameSeconds, end: endFrame * frameSeconds };
    if (seg.end - seg.start >= p.minSpeechSeconds) out.push({ start: round(seg.start), end: round(seg.end) });
    s.inSpeech = false;
    s.silenceStart = -1;
  };
  for (let i = 0; i < probs.length; i++) {
    const f = firstFrame + i;
    const prob = probs[i]!;
    if (!s.inSpeech) {
      if (prob >= p.positiveThreshold) { s.inSpeech = true; s.speechStart = f; s.silenceStart = -1; }
    } else if (prob < p.negativeThreshold) {
      if (s.silenceStart < 0) s.silenceStart = f;
      if ((f + 1 - s.silenceStart) * frameSeconds >= p.minSilenceSeconds) close(s.silenceStart);
    } else {
      s.silenceStart = -1;
    }
  }
  if (final && s.inSpeech) close(s.silenceStart >= 0 ? s.silenceStart : firstFrame + probs.length);
  return out;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

export const voiceActivity: Adapter = {
  async run(inputs, { network, manifest }) {
    const p = { positiveThreshold: 0.5, negativeThreshold: 0.35, minSpeechSeconds: 0.25, minSilenceSeconds: 0.3, ...manifest.params } as SegmentParams;
    const samples = audioInput(inputs.audio, 'audio', Number(inputs.sampleRate ?? RATE), RATE);
    const id = typeof inputs.stream === 'string' ? inputs.stream : '';
    let s = id ? streams.get(id) : undefined;
    if (!s) {
      s = freshStream();
      if (id) {
        if (streams.size >= MAX_STREAMS) streams.delete(streams.keys().next().value!);
        streams.set(id, s);
      }
    }
    const all = new Float32Array(s.pending.length + samples.length);
    all.set(s.pending);
    all.set(samples, s.pending.length);
    const frames = Math.floor(all.length / FRAME);
    const probs = new Float32Array(frames);
    const sr: Tensor = { type: 'int64', data: BigInt64Array.from([BigInt(RATE)]), dims: [] };
    const input = new Float32Array(CONTEXT + FRAME);
    const x: Tensor = { type: 'float32', data: input, dims: [1, CONTEXT + FRAME] };
    let state: Tensor = { type: 'float32', data: s.state, dims: [2, 1, 128] };
    for (let f = 0; f < frames; f++) {
      input.set(s.context);
      input.set(all.subarray(f * FRAME, (f + 1) * FRAME), CONTEXT);
      s.context = input.slice(FRAME);
      const out = await network.run({ input: x, state, sr });
      state = out.stateN!;
      probs[f] = (out.output!.data as Float32Array)[0]!;
    }
    s.state = (state.data as Float32Array).slice();
    s.pending = all.slice(frames * FRAME);
    const frameSeconds = FRAME / RATE;
    // Without a stream id the audio is a whole recording: close any segment still open at its end.
    const segments = segmentSpeech(probs, s.frames, frameSeconds, p, s, !id);
    s.frames += frames;
    return {
      speech: segments.length > 0 || s.inSpeech,
      segments,
      probabilities: Array.from(probs, (v) => Math.round(v * 1000) / 1000),
      frameSeconds,
    };
  },
};
