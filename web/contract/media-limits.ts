// What one query may cost the page to decode, and the defaults both sides start from: the bridge's
// options (bridge/options.ts), its core and input checks (bridge/core/), and the page's decoders until a
// bridge's hello says otherwise (web/runtime/limits.ts).
import { DEFAULT_MAX_PIXELS } from './image-size.ts';
import { DEFAULT_MAX_AUDIO_SECONDS } from './wav.ts';

/** What one query may cost the page to decode: the largest image and the longest audio it takes. */
export interface MediaLimits {
  /** Pixels an image input may declare (width × height), checked from its header before decoding. */
  maxPixels: number;
  /** Seconds of audio one input may hold, checked from its header (or its length) before resampling. */
  maxAudioSeconds: number;
}

/** --max-pixels and --max-audio-seconds when not given. Frozen: a side that changes its limits copies these. */
export const DEFAULT_MEDIA_LIMITS: Readonly<MediaLimits> = Object.freeze({
  maxPixels: DEFAULT_MAX_PIXELS,
  maxAudioSeconds: DEFAULT_MAX_AUDIO_SECONDS,
});
