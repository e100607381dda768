#!/usr/bin/env python3
"""Streams an image to face detection over LabGraph's WebSocket API and prints each output.

Samples sent faster than the model answers are live frames: the bridge answers the newest and drops the
stale ones (latest wins). This client sends each sample once the previous output arrived, so every one
is answered.

    pip install websockets        (or: apt install python3-websockets)
    python3 examples/python/labgraph_client.py [IMAGE] [ws://127.0.0.1:9000]
"""
import asyncio
import base64
import json
import sys

import websockets


def request(request_id, kind, body):
    return json.dumps({"api_version": "0.1", "api_request": {"request_id": request_id, kind: body}})


async def main(image_path, url):
    with open(image_path, "rb") as f:
        image = "data:image/jpeg;base64," + base64.b64encode(f.read()).decode()
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(request(1, "start_stream_request", {"stream_id": "out", "face-detection/data": {}}))
        await ws.send(request(2, "start_stream_request", {"stream_id": "in", "face-detection/query": {}}))
        for n in range(5):
            await ws.send(json.dumps({"api_version": "0.1", "stream_batch": {
                "stream_id": "in", "face-detection/query": {"samples": [{"image": image}], "batch_num": n}}}))
            while True:
                message = json.loads(await ws.recv())
                if "stream_batch" in message:
                    batch = message["stream_batch"]["face-detection/data"]
                    for sample in batch["samples"]:
                        faces = sample["data"]["faces"]
                        print(f"batch {batch['batch_num']}: {len(faces)} face(s)", [round(f["score"], 2) for f in faces])
                    break
                if "error_event" in message.get("api_event", {}):
                    print("error:", message["api_event"]["error_event"])
                    return 1
        await ws.send(request(3, "end_stream_request", {"stream_id": "out"}))
    return 0


if __name__ == "__main__":
    image = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/astronaut.jpg"
    url = sys.argv[2] if len(sys.argv) > 2 else "ws://127.0.0.1:9000"
    sys.exit(asyncio.run(main(image, url)))
