#!/usr/bin/env python3
"""A client written like the alwaysAI inference-server tutorial's: a 4-byte little-endian length, then
the image; the answer framed the same way. Standard library only (the tutorial's OpenCV calls are
replaced by reading and writing the encoded bytes as they are).

    alwaysai_client.py HOST PORT OUT_DIR IMAGE [IMAGE ...]           one connection per image
    alwaysai_client.py --one-connection HOST PORT OUT_DIR IMAGE ...  every image over one connection
"""
import os
import socket
import sys


def pack_msg_len(data: bytes) -> bytes:
    return len(data).to_bytes(4, byteorder="little")


def unpack_msg_len(data: bytes) -> int:
    return int.from_bytes(data, byteorder="little")


def recv_exactly(sock, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 4092))
        if chunk == b"":
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read(sock) -> bytes:
    return recv_exactly(sock, unpack_msg_len(recv_exactly(sock, 4)))


def send(sock, data: bytes) -> None:
    sock.sendall(pack_msg_len(data))
    sock.sendall(data)


def main(argv):
    one_connection = argv[:1] == ["--one-connection"]
    if one_connection:
        argv = argv[1:]
    host, port, out_dir, images = argv[0], int(argv[1]), argv[2], argv[3:]
    os.makedirs(out_dir, exist_ok=True)
    sock = socket.create_connection((host, port)) if one_connection else None
    for index, path in enumerate(images):
        with open(path, "rb") as f:
            image = f.read()
        if not one_connection:
            sock = socket.create_connection((host, port))
        send(sock, image)
        answer = read(sock)
        with open(os.path.join(out_dir, f"{index}.jpg"), "wb") as f:
            f.write(answer)
        if not one_connection:
            sock.close()
    if sock is not None:
        sock.close()
    print(f"{len(images)} answers written to {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
