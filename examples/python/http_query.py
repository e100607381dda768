#!/usr/bin/env python3
"""Face detection over pagebridge's HTTP API (Runway's), with Python's standard library only.

    python3 examples/python/http_query.py [IMAGE] [--url http://127.0.0.1:8000]
"""
import argparse
import base64
import json
import mimetypes
import pathlib
import sys
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_IMAGE = HERE.parent.parent / "test" / "fixtures" / "astronaut.jpg"


def data_uri(path):
    kind = mimetypes.guess_type(str(path))[0] or "image/jpeg"
    return "data:%s;base64,%s" % (kind, base64.b64encode(path.read_bytes()).decode("ascii"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", type=pathlib.Path, default=DEFAULT_IMAGE)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the bridge's HTTP address (--http-port)")
    args = parser.parse_args()

    body = json.dumps({"image": data_uri(args.image)}).encode("utf-8")
    request = urllib.request.Request(args.url + "/query", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            output = json.loads(response.read())
    except urllib.error.HTTPError as e:
        # Errors come as {"error": "..."} with a 4xx/5xx status.
        sys.exit("HTTP %d: %s" % (e.code, json.loads(e.read()).get("error")))
    except urllib.error.URLError as e:
        sys.exit("cannot reach the bridge at %s (%s): start it with npm start" % (args.url, e.reason))

    faces = output.get("faces", [])
    print("%d face%s in %s" % (len(faces), "" if len(faces) == 1 else "s", args.image.name))
    for face in faces:
        x, y, w, h = face["box"]
        print("  score %.2f  box x=%.3f y=%.3f w=%.3f h=%.3f (0..1 of the image)" % (face["score"], x, y, w, h))


if __name__ == "__main__":
    main()
