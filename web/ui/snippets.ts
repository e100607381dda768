// Ready-to-paste client code for each protocol, from the bridge's real addresses and a model's info.
import type { ModelInfo, Port } from '../contract/index.ts';

export interface Listeners { http?: string; socketio?: string; osc?: string; labgraph?: string; tcp?: string; runtime?: string; [k: string]: string | undefined }

export interface Snippet { label: string; language: string; code: string }
export interface ProtocolPanel {
  id: string;
  name: string;
  /** Where it listens, as a client would write it. */
  address?: string;
  endpoints: string[];
  snippets: Snippet[];
}

/** A value that passes the model's input check, to start from. */
export function exampleValue(port: Port): unknown {
  if (port.default !== undefined) return port.default;
  switch (port.type) {
    case 'image': return 'data:image/jpeg;base64,…';
    case 'audio': return 'data:audio/wav;base64,…';
    case 'text': return 'hello';
    case 'number': return typeof port.min === 'number' ? port.min : 0;
    case 'boolean': return false;
    case 'category': return Array.isArray(port.oneOf) ? port.oneOf[0] : '';
    case 'vector': return new Array(typeof port.length === 'number' ? port.length : 1).fill(0);
    case 'tensor': {
      const dims = (Array.isArray(port.dims) ? port.dims : [1]).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
      return { dtype: port.dtype ?? 'float32', dims, data: new Array(dims.reduce((a: number, b: number) => a * b, 1)).fill(0) };
    }
    default: return null;
  }
}

const hostPort = (url: string | undefined) => {
  if (!url) return { host: '127.0.0.1', port: 0 };
  const u = new URL(url.replace(/^(udp|tcp):/, 'http:'));
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
};

export function protocolPanels(listeners: Listeners, modelId: string, info: ModelInfo, isDefault: boolean): ProtocolPanel[] {
  const image = info.inputs.find((p) => p.type === 'image');
  const jsonInputs = Object.fromEntries(info.inputs.map((p) => [p.name, exampleValue(p)]));
  const json = JSON.stringify(jsonInputs);
  const http = listeners.http ?? 'http://127.0.0.1:8000';
  const base = `${http}/models/${modelId}`;
  const osc = hostPort(listeners.osc);
  const tcp = hostPort(listeners.tcp);
  const prefix = isDefault ? '' : `/models/${modelId}`;
  const ns = isDefault ? '/' : `/models/${modelId}`;
  const panels: ProtocolPanel[] = [];

  panels.push({
    id: 'http', name: 'HTTP', address: http,
    endpoints: [`POST ${base}/query`, `GET ${base}/data`, `GET ${base}/error`, `GET ${base}/info`,
      ...(isDefault ? [`POST ${http}/query (this is the default model)`] : []), `GET ${http}/models`],
    snippets: [
      image
        ? { label: 'curl', language: 'sh', code: `curl -s -X POST -H 'Content-Type: image/jpeg' --data-binary @photo.jpg ${base}/query` }
        : { label: 'curl', language: 'sh', code: `curl -s -X POST -H 'Content-Type: application/json' -d '${json.replace(/'/g, "'\\''")}' ${base}/query` },
      {
        label: 'Python', language: 'python', code: image ? `import base64, json, urllib.request

with open("photo.jpg", "rb") as f:
    image = "data:image/jpeg;base64," + base64.b64encode(f.read()).decode()
body = json.dumps({"${image.name}": image}).encode()
req = urllib.request.Request("${base}/query", body, {"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req)))` : `import json, urllib.request

body = json.dumps(${json}).encode()
req = urllib.request.Request("${base}/query", body, {"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req)))`,
      },
    ],
  });

  if (listeners.socketio) {
    panels.push({
      id: 'socketio', name: 'Socket.IO', address: listeners.socketio,
      endpoints: [`namespace ${ns}`, 'emit "query" with the inputs', 'on "data": every output', 'on "error": every failure', 'on "info" once on connect'],
      snippets: [{
        label: 'p5.js + socket.io-client', language: 'html', code: `<script src="${http}/socket.io/socket.io.js"></script>
<script>
  const socket = io("${listeners.socketio}${ns === '/' ? '' : ns}");
  socket.on("info", (info) => console.log("inputs", info.inputs));
  socket.on("data", (output) => console.log(output));
  socket.on("error", (e) => console.error(e.error));
  // e.g. in draw(): socket.emit("query", { ${image ? `${image.name}: canvas.elt.toDataURL("image/jpeg")` : json.slice(1, -1)} });
</script>`,
      }],
    });
  }

  if (listeners.osc) {
    panels.push({
      id: 'osc', name: 'OSC', address: listeners.osc,
      endpoints: [`${prefix}/server/connect (optional int: reply port)`.replace(/^\/models\/[^/]+\/server/, '/server'), `${prefix}/query s:<inputs JSON>`, `${prefix}/info`, `replies: ${prefix}/data s:<output JSON>, ${prefix}/error s:<JSON>`],
      snippets: [{
        label: 'Processing (oscP5)', language: 'java', code: `import oscP5.*;
import netP5.*;

OscP5 osc;
NetAddress bridge = new NetAddress("${osc.host}", ${osc.port});

void setup() {
  osc = new OscP5(this, 57200);            // replies come to this port
  osc.send(new OscMessage("/server/connect"), bridge);
  OscMessage q = new OscMessage("${prefix}/query");
  q.add("${json.replace(/"/g, '\\"')}");
  osc.send(q, bridge);
}

void oscEvent(OscMessage m) {
  if (m.checkAddrPattern("${prefix}/data")) println(m.get(0).stringValue());
}

void draw() {}`,
      }],
    });
  }

  if (listeners.labgraph) {
    panels.push({
      id: 'labgraph', name: 'LabGraph', address: listeners.labgraph,
      endpoints: [`stream ${modelId}/query (send samples)`, `stream ${modelId}/data (outputs)`, `stream ${modelId}/error (failures)`],
      snippets: [{
        label: 'Python (websockets)', language: 'python', code: `import asyncio, json, websockets

async def main():
    async with websockets.connect("${listeners.labgraph}") as ws:
        for stream in ("${modelId}/data", "${modelId}/query"):
            await ws.send(json.dumps({"api_version": "0.1", "api_request": {"request_id": 1,
                "start_stream_request": {"stream_id": stream, "labgraph.monitor": {}}}}))
        await ws.send(json.dumps({"stream_batch": {"stream_id": "${modelId}/query", "labgraph.monitor": {
            "samples": [{"data": ${json}}], "batch_num": 0}}}))
        async for message in ws:
            print(message)

asyncio.run(main())`,
      }],
    });
  }

  if (listeners.tcp) {
    panels.push({
      id: 'tcp', name: 'TCP', address: listeners.tcp,
      endpoints: ['frame: 4-byte little-endian length, then the bytes', 'JPEG/PNG in → the image with the output drawn on it (JPEG)', 'JSON in → JSON out'],
      snippets: [{
        label: 'Python (socket)', language: 'python', code: `import socket, struct

def frame(sock, payload):
    sock.sendall(struct.pack("<I", len(payload)) + payload)
    size = struct.unpack("<I", sock.recv(4, socket.MSG_WAITALL))[0]
    return sock.recv(size, socket.MSG_WAITALL)

with socket.create_connection(("${tcp.host}", ${tcp.port})) as sock:
    print(frame(sock, b'${json.replace(/'/g, "\\'")}'))`,
      }],
    });
  }

  if (listeners.runtime) {
    panels.push({
      id: 'runtime', name: 'Runtime', address: listeners.runtime,
      endpoints: ['{"action": "run" | "status" | "get_placeholder" | "get_stats" | "run_model" | "stop", …}'],
      snippets: [{
        label: 'Node (ws)', language: 'js', code: `import WebSocket from "ws";

const ws = new WebSocket("${listeners.runtime}");
ws.on("open", () => ws.send(JSON.stringify({ action: "run_model",
  model: { name: "${modelId}", is_data: true, data: ${json} } })));
ws.on("message", (m) => { console.log(m.toString()); ws.close(); });`,
      }],
    });
  }
  return panels;
}
