#!/usr/bin/env python3
"""Face detection over pagebridge's Socket.IO port, as with Runway, using python-socketio.

    pip install "python-socketio[client]"    (or: apt install python3-socketio)
    python3 examples/python/socketio_client.py [IMAGE] [--url http://127.0.0.1:3000] [--watch]

Without --watch it sends IMAGE, prints the faces and exits. With --watch it also stays connected and
prints every output of the model, whoever caused it (HTTP, another sketch, the page).
"""
import argparse
import base64
import mimetypes
import pathlib
import sys

import socketio

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_IMAGE = HERE.parent.parent / "test" / "fixtures" / "astronaut.jpg"


def data_uri(path):
    kind = mimetypes.guess_type(str(path))[0] or "image/jpeg"
    return "data:%s;base64,%s" % (kind, base64.b64encode(path.read_bytes()).decode("ascii"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", type=pathlib.Path, default=DEFAULT_IMAGE)
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the bridge's Socket.IO address (--socketio-port)")
    parser.add_argument("--watch", action="store_true", help="keep printing the model's outputs")
    args = parser.parse_args()

    sio = socketio.Client()
    failed = []

    @sio.on("info")
    def on_info(info):
        # Sent once, right after connecting: what the model takes and gives.
        print("the model takes:", ", ".join("%s (%s)" % (p["name"], p["type"]) for p in info["inputs"]))

    @sio.on("data")
    def on_data(output):
        faces = output.get("faces", [])
        print("%d face%s" % (len(faces), "" if len(faces) == 1 else "s"))
        for face in faces:
            print("  score %.2f  box %s" % (face["score"], ["%.3f" % v for v in face["box"]]))
        if not args.watch:
            sio.disconnect()

    @sio.on("error")
    def on_error(error):
        print("error:", error.get("error") if isinstance(error, dict) else error, file=sys.stderr)
        failed.append(error)
        if not args.watch:
            sio.disconnect()

    try:
        sio.connect(args.url)
    except socketio.exceptions.ConnectionError as e:
        sys.exit("cannot reach the bridge at %s (%s): start it with npm start" % (args.url, e))
    sio.emit("query", {"image": data_uri(args.image)})
    sio.wait()
    sys.exit(1 if failed and not args.watch else 0)


if __name__ == "__main__":
    main()
