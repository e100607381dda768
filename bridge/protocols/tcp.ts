// Length-prefixed TCP (alwaysAI's inference server): each frame a request, answered in order on the
// same connection. A JPEG or PNG gets back that image with the default model's output drawn on it (or,
// from a model whose output is an image, that image: a mask as PNG); a JSON object (first byte `{`) gets
// the JSON output; errors are `{"error": "…"}` frames.
import { createServer, type Socket } from 'node:net';
import { connectionOptions, type ConnectionOptions, type Listener, type ListenerContext, type ListenerModule } from '../listener-module.ts';
import { listen, urlOf } from '../listener.ts';
import { capConnections } from './connections.ts';
import { FrameDecoder, FrameError, encodeFrame } from './framing.ts';
import { toBridgeError } from '../core/errors.ts';
import { imageOutput, sniffImage, toJson } from '../core/values.ts';

/** Requests one connection may have in flight before the server stops reading from it. */
const MAX_IN_FLIGHT = 16;

const errorFrame = (message: string) => encodeFrame(Buffer.from(JSON.stringify({ error: message })));

export const tcpListener: ListenerModule<ConnectionOptions> = {
  name: 'tcp',
  portFlag: '--tcp-port',
  ownOptions: (o) => connectionOptions(o, o.tcpPort),
  start: startTcp,
};

async function startTcp(context: ListenerContext, own: ConnectionOptions): Promise<Listener> {
  const { core, log } = context;

  /** One request frame → one answer frame; never throws. */
  async function answer(frame: Buffer, client: string, signal: AbortSignal): Promise<Buffer> {
    try {
      if (frame[0] === 0x7b /* { */) {
        let inputs: unknown;
        try {
          inputs = JSON.parse(frame.toString('utf8'));
        } catch (err) {
          return errorFrame(`the frame starts with "{" but is not JSON: ${(err as Error).message}`);
        }
        const outputs = await core.query(undefined, inputs, { source: 'tcp', client, signal });
        return encodeFrame(Buffer.from(JSON.stringify(toJson(outputs))));
      }
      if (sniffImage(frame)) {
        const { info, id } = core.model();
        const port = info.inputs.find((p) => p.type === 'image');
        if (!port) return errorFrame(`the default model "${id}" takes no image: send a JSON query`);
        const inputs = { [port.name]: frame };
        // A model whose output is an image (a person mask) answers with it; the others with the picture annotated.
        const imagePorts = info.outputs.filter((p) => p.type === 'image').map((p) => p.name);
        if (imagePorts.length) {
          const image = imageOutput(await core.query(undefined, inputs, { source: 'tcp', client, signal }), imagePorts);
          if (!image) return errorFrame(`"${id}" answered without its image output`);
          return encodeFrame(image);
        }
        const { image } = await core.annotate(undefined, inputs, { source: 'tcp', client, signal });
        return encodeFrame(image);
      }
      return errorFrame(`a frame of ${frame.length} bytes that is neither a JPEG or PNG image nor a JSON object (starting with "{")`);
    } catch (err) {
      return errorFrame(toBridgeError(err).message);
    }
  }

  const connections = new Set<Socket>();

  function onConnection(socket: Socket) {
    connections.add(socket);
    const client = `${socket.remoteAddress}:${socket.remotePort}`;
    core.clientChange('tcp', 1);
    const decoder = new FrameDecoder(own.maxBytes);
    const gone = new AbortController();
    let tail: Promise<void> = Promise.resolve();
    let inFlight = 0;
    /** Requests whose answer the model has not given yet. */
    let withModel = 0;
    let closing = false;
    socket.setNoDelay(true);
    // Idle: nothing read or written for --idle-timeout. A client waiting for the model is not idle (the
    // answer's write starts the clock again); one that sent half a frame and stopped is, and so is one
    // that stopped reading its answers.
    socket.setTimeout(own.idleMs, () => {
      if (withModel > 0) return;
      log.info(`tcp: ${client} sent nothing for ${own.idleMs / 1000} s (--idle-timeout); closing`);
      socket.destroy();
    });
    socket.on('data', (chunk) => {
      if (closing) return;
      let frames: Buffer[];
      let bad: FrameError | undefined;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        frames = err.frames;
        bad = err;
      }
      for (const frame of frames) {
        inFlight++;
        if (inFlight >= MAX_IN_FLIGHT) socket.pause();
        withModel++;
        const reply = answer(frame, client, gone.signal).finally(() => { withModel--; });
        // Answers go out in request order, whatever order the model finishes them in. A peer that
        // does not read its answers holds up the ones after (the write waits for 'drain'), so its
        // requests stop being read: the bridge never buffers more than a few answers for it.
        tail = tail.then(async () => {
          const bytes = await reply;
          if (!socket.destroyed && !socket.write(bytes)) await new Promise<void>((r) => { socket.once('drain', r); socket.once('close', r); });
          if (--inFlight < MAX_IN_FLIGHT && !closing) socket.resume();
        });
      }
      if (bad) {
        // After a bad length the stream cannot be resynchronized: answer what came before, then say why and close.
        const why = bad.message;
        closing = true;
        tail = tail.then(() => { if (!socket.destroyed) socket.end(errorFrame(why)); });
      }
    });
    socket.on('error', (err) => log.info(`tcp: ${socket.remoteAddress}:${socket.remotePort}: ${err.message}`));
    socket.on('close', () => {
      // Its queries still waiting or with the page are given up: the page drops them.
      gone.abort();
      connections.delete(socket);
      core.clientChange('tcp', -1);
      if (decoder.pending > 0) log.info(`tcp: ${socket.remoteAddress}:${socket.remotePort} left in the middle of a frame (${decoder.pending} bytes dropped)`);
    });
  }

  const server = createServer(onConnection);
  capConnections(server, own.maxConnections, 'tcp', log);
  const port = await listen(server, own.host, own.port);
  server.on('error', (err) => log.warn(`tcp: ${err.message}`));
  return {
    url: urlOf('tcp', own.host, port),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // close() waits for connections to end; the bridge is stopping, so end them.
      for (const s of connections) s.destroy();
    }),
  };
}
