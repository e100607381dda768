// Audio for the selected model: a WAV file, or the microphone as one continuing stream.
import { $ } from '../../ui/dom.ts';
import { startMicrophone } from '../../ui/microphone.ts';
import type { ModelSelection } from '../selection.ts';
import type { OutputPanel } from './output.ts';

export class AudioPanel {
  private stopMic: (() => void) | undefined;

  constructor(private readonly selection: ModelSelection, private readonly output: OutputPanel) {
    $<HTMLInputElement>('audio-input').addEventListener('change', async (ev) => {
      const file = (ev.target as HTMLInputElement).files?.[0];
      const port = selection.entry?.manifest.inputs.find((p) => p.type === 'audio');
      if (file && port) await output.run({ [port.name]: new Uint8Array(await file.arrayBuffer()) });
    });
    $('microphone').addEventListener('click', () => this.toggleMicrophone());
  }

  private async toggleMicrophone(): Promise<void> {
    if (this.stopMic) {
      this.stopMic();
      this.stopMic = undefined;
      $('microphone').setAttribute('aria-pressed', 'false');
      return;
    }
    const e = this.selection.entry;
    const port = e?.manifest.inputs.find((p) => p.type === 'audio');
    if (!e?.model || !port) return;
    // One stream id for the whole recording: the model keeps its state between chunks
    // (web/runtime/adapters/voice-activity.ts).
    const streamId = `page-microphone-${Date.now()}`;
    try {
      this.stopMic = await startMicrophone((samples, sampleRate) => {
        const started = performance.now();
        e.model!.query({ [port.name]: samples, sampleRate, stream: streamId })
          .then((outputs) => this.output.show(e, outputs, performance.now() - started))
          .catch((err: Error) => { this.output.state(`${e.manifest.id} failed: ${err.message}`); });
      });
      $('microphone').setAttribute('aria-pressed', 'true');
    } catch (err) {
      this.output.state(`no microphone: ${(err as Error).message}`);
    }
  }
}
