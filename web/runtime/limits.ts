// What one query may cost this worker to decode: the largest image (web/runtime/image.ts) and the
// longest audio (web/runtime/audio.ts), checked from their headers before decoding. The contract's
// defaults, until a bridge's hello says its own (--max-pixels, --max-audio-seconds).
import { DEFAULT_MEDIA_LIMITS, type ErrorCode, type MediaLimits } from '../contract/index.ts';
import { InputError } from './errors.ts';

export const mediaLimits: MediaLimits = { ...DEFAULT_MEDIA_LIMITS };

export function setMediaLimits(limits: MediaLimits): void {
  if (limits.maxPixels > 0) mediaLimits.maxPixels = limits.maxPixels;
  if (limits.maxAudioSeconds > 0) mediaLimits.maxAudioSeconds = limits.maxAudioSeconds;
}

/** An input refused before decoding, with the error code the relay answers with (413 over HTTP for `too_large`). */
export function refusedInput(message: string, code: ErrorCode): InputError {
  return Object.assign(new InputError(message), { code });
}
