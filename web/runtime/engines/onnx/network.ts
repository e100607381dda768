// One onnxruntime session as an engine Network: plain tensors become onnxruntime's on the way in and
// plain ones again on the way out, so adapters never hold onnxruntime objects.
import type * as Ort from 'onnxruntime-web';
import type { Network, TensorMeta } from '../engine.ts';
import type { Tensor, TensorData } from '../tensor.ts';
import type { OrtModule } from './loader.ts';

const meta = (m: Ort.InferenceSession.ValueMetadata): TensorMeta =>
  m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name };

export class OnnxNetwork implements Network {
  readonly inputs: readonly TensorMeta[];
  readonly outputs: readonly TensorMeta[];

  constructor(private readonly ort: OrtModule, readonly session: Ort.InferenceSession) {
    this.inputs = session.inputMetadata.map(meta);
    this.outputs = session.outputMetadata.map(meta);
  }

  static async create(ort: OrtModule, bytes: Uint8Array, options: Ort.InferenceSession.SessionOptions): Promise<OnnxNetwork> {
    return new OnnxNetwork(ort, await ort.InferenceSession.create(bytes, options));
  }

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const inputs: Record<string, Ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      inputs[name] = new this.ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    }
    const results = await this.session.run(inputs);
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(results)) {
      // Outputs live on the CPU (no output location is asked for): `data` is a copy of our own.
      out[name] = { type: t.type, dims: t.dims, data: t.data as TensorData };
      t.dispose();
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
