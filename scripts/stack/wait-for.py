#!/usr/bin/env python3
"""Waits until a local backing service really answers, or fails after a deadline.

    wait-for.py tcp HOST:PORT [SECONDS]      a TCP connection is accepted
    wait-for.py mongo HOST:PORT [SECONDS]    the server answers a `ping` command
    wait-for.py http URL [SECONDS]           the URL answers with any HTTP status below 500
"""
import socket
import sys
import time
import urllib.error
import urllib.request


def tcp(target):
    host, port = target.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=1):
        return True


def mongo(target):
    from pymongo import MongoClient

    client = MongoClient(f"mongodb://{target}/", serverSelectionTimeoutMS=1000, directConnection=True)
    try:
        return client.admin.command("ping").get("ok") == 1
    finally:
        client.close()


def http(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500


def main():
    kind, target = sys.argv[1], sys.argv[2]
    deadline = time.monotonic() + float(sys.argv[3] if len(sys.argv) > 3 else 30)
    probe = {"tcp": tcp, "mongo": mongo, "http": http}[kind]
    last = None
    while time.monotonic() < deadline:
        try:
            if probe(target):
                return 0
        except Exception as error:  # the service is still starting
            last = error
        time.sleep(0.1)
    print(f"wait-for: {kind} {target} did not answer: {last}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
