// The microphone as 16 kHz mono samples, in chunks, for audio models.

/** Calls `onChunk` with about `seconds` of samples at a time until the returned stop() is called. */
export async function startMicrophone(onChunk: (samples: Float32Array, sampleRate: number) => void, seconds = 0.5): Promise<() => void> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false } });
  const ctx = new AudioContext({ sampleRate: 16000 });
  // A worklet that posts each 128-sample block to the page; the page gathers them into chunks.
  const worklet = `registerProcessor('tap', class extends AudioWorkletProcessor {
    process(inputs) { const c = inputs[0][0]; if (c) this.port.postMessage(c.slice()); return true; }
  });`;
  await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([worklet], { type: 'text/javascript' })));
  const node = new AudioWorkletNode(ctx, 'tap');
  const size = Math.round(ctx.sampleRate * seconds);
  let chunk = new Float32Array(size);
  let filled = 0;
  node.port.onmessage = (ev: MessageEvent<Float32Array>) => {
    const block = ev.data;
    const n = Math.min(block.length, size - filled);
    chunk.set(block.subarray(0, n), filled);
    filled += n;
    if (filled === size) {
      onChunk(chunk, ctx.sampleRate);
      chunk = new Float32Array(size);
      chunk.set(block.subarray(n));
      filled = block.length - n;
    }
  };
  ctx.createMediaStreamSource(stream).connect(node);
  return () => {
    for (const t of stream.getTracks()) t.stop();
    void ctx.close();
  };
}
