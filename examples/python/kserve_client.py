#!/usr/bin/env python3
"""A KServe v2 (Open Inference Protocol) REST client, written from the protocol's specification with
Python's standard library only (urllib, json, struct): health, metadata, and inference in JSON or with
the binary tensor data extension, both ways. It works with any server of the protocol (Triton, KServe,
MLServer, OpenVINO Model Server) as with pagebridge.

    kserve_client.py [--url http://127.0.0.1:8000] health
    kserve_client.py [--url …] metadata [MODEL]
    kserve_client.py [--url …] infer MODEL [--image NAME=PATH] [--tensor NAME=DATATYPE:SHAPE:JSON]
                     [--binary-inputs] [--binary-outputs] [--output NAME] [--id ID]

Face detection on the astronaut, image sent as binary data, faces back as JSON text:

    kserve_client.py infer face-detection --image image=test/fixtures/astronaut.jpg --binary-inputs

`infer` prints one JSON object: the HTTP status, whether the answer carried binary data, and each output
decoded (numbers as lists, BYTES elements as text, or {"base64": …} when they are no UTF-8 text).
"""
import argparse
import base64
import json
import struct
import sys
import urllib.error
import urllib.request

HEADER_LENGTH = "Inference-Header-Content-Length"

# The fixed-size datatypes as struct formats (little-endian); BYTES elements are a u32 length, then the bytes.
FORMATS = {
    "BOOL": "?", "UINT8": "B", "UINT16": "H", "UINT32": "I", "UINT64": "Q",
    "INT8": "b", "INT16": "h", "INT32": "i", "INT64": "q", "FP32": "f", "FP64": "d",
}


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def encode(datatype, data):
    """Elements → the binary extension's bytes."""
    if datatype == "BYTES":
        out = b""
        for e in data:
            b = e if isinstance(e, bytes) else str(e).encode("utf-8")
            out += struct.pack("<I", len(b)) + b
        return out
    return struct.pack("<%d%s" % (len(data), FORMATS[datatype]), *data)


def decode(datatype, shape, raw):
    """The binary extension's bytes → elements."""
    if datatype == "BYTES":
        out, at = [], 0
        while at < len(raw):
            (n,) = struct.unpack_from("<I", raw, at)
            out.append(raw[at + 4:at + 4 + n])
            at += 4 + n
        return out
    return list(struct.unpack("<%d%s" % (count(shape), FORMATS[datatype]), raw))


def flatten(data):
    if isinstance(data, list):
        return [x for d in data for x in flatten(d)]
    return [data]


def show(element):
    """A BYTES element as text where it is UTF-8, else as base64."""
    if isinstance(element, bytes):
        try:
            return element.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(element).decode("ascii")}
    return element


def request(url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.headers, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def infer(url, model, inputs, outputs=(), binary_inputs=False, binary_outputs=False, request_id=None):
    """inputs: (name, datatype, shape, elements) each; BYTES elements are bytes or str."""
    head = {"inputs": []}
    if request_id is not None:
        head["id"] = request_id
    chunks = []
    for name, datatype, shape, data in inputs:
        tensor = {"name": name, "datatype": datatype, "shape": shape}
        if binary_inputs:
            raw = encode(datatype, data)
            tensor["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        elif datatype == "BYTES":
            # Bytes that are no text go as base64 (the bridge takes images so, or as data URIs).
            tensor["data"] = [e if isinstance(e, str) else base64.b64encode(e).decode("ascii") for e in data]
        else:
            tensor["data"] = data
        head["inputs"].append(tensor)
    if outputs:
        head["outputs"] = [{"name": n, "parameters": {"binary_data": binary_outputs}} for n in outputs]
    elif binary_outputs:
        head["parameters"] = {"binary_data_output": True}
    header = json.dumps(head).encode("utf-8")
    headers = {"Content-Type": "application/octet-stream" if chunks else "application/json"}
    if chunks:
        headers[HEADER_LENGTH] = str(len(header))
    status, res_headers, body = request("%s/v2/models/%s/infer" % (url, model), header + b"".join(chunks), headers)

    json_length = int(res_headers.get(HEADER_LENGTH) or len(body))
    answer = json.loads(body[:json_length])
    if status != 200:
        return {"status": status, "error": answer.get("error")}
    at, decoded = json_length, {}
    for out in answer["outputs"]:
        params = out.get("parameters") or {}
        if "binary_data_size" in params:
            size = params["binary_data_size"]
            data = decode(out["datatype"], out["shape"], body[at:at + size])
            at += size
        elif params.get("content_type") == "base64":
            data = [base64.b64decode(e) for e in flatten(out["data"])]
        else:
            data = flatten(out["data"])
        decoded[out["name"]] = {"datatype": out["datatype"], "shape": out["shape"], "data": [show(e) for e in data]}
    return {"status": status, "binary": HEADER_LENGTH.lower() in {k.lower() for k in res_headers.keys()},
            "model_name": answer.get("model_name"), "id": answer.get("id"), "outputs": decoded}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server's HTTP address (pagebridge's --http-port)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("health")
    meta = sub.add_parser("metadata")
    meta.add_argument("model", nargs="?")
    run = sub.add_parser("infer")
    run.add_argument("model")
    run.add_argument("--image", action="append", default=[], help="NAME=PATH: an encoded image (or any file) as BYTES [1]")
    run.add_argument("--tensor", action="append", default=[], help="NAME=DATATYPE:SHAPE:JSON, e.g. x=FP32:2,4:[1,2,3,4,5,6,7,8]")
    run.add_argument("--output", action="append", default=[], help="ask for this output only (repeatable)")
    run.add_argument("--binary-inputs", action="store_true")
    run.add_argument("--binary-outputs", action="store_true")
    run.add_argument("--id")
    args = parser.parse_args(argv)

    if args.command == "health":
        result = {name: request("%s/v2/health/%s" % (args.url, name))[0] == 200 for name in ("live", "ready")}
    elif args.command == "metadata":
        status, _, body = request("%s/v2%s" % (args.url, "/models/" + args.model if args.model else ""))
        result = {"status": status, **json.loads(body)}
    else:
        inputs = []
        for spec in args.image:
            name, path = spec.split("=", 1)
            with open(path, "rb") as f:
                inputs.append((name, "BYTES", [1], [f.read()]))
        for spec in args.tensor:
            name, rest = spec.split("=", 1)
            datatype, shape, data = rest.split(":", 2)
            inputs.append((name, datatype, [int(d) for d in shape.split(",") if d], flatten(json.loads(data))))
        result = infer(args.url, args.model, inputs, args.output, args.binary_inputs, args.binary_outputs, args.id)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main(sys.argv[1:])
