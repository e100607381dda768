#!/usr/bin/env python3
"""Serves bench/webgpu.html beside a built dist/ (cross-origin isolated) and collects its result.

    npm run build
    python3 bench/webgpu_serve.py                      # then open the printed link in Chrome or Edge
    python3 bench/webgpu_serve.py --chromium /usr/bin/chromium --out webgpu.json   # headless, one shot

With --chromium it starts that browser headless with the flags WebGPU needs on Linux (FLAGS below;
--flag adds more), waits for the page to POST its result to /result, writes it to --out and exits.
Only the Python standard library is used, so this runs on a machine with no Node.
"""
import argparse
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Headless Chromium on Linux gives WebGPU a hardware adapter only through Vulkan. Seen on an NVIDIA H100
# (driver 580, Debian's Chromium 156, no display): with --enable-unsafe-webgpu alone (what
# bridge/browser.ts passes) there is "No available adapters"; with the Vulkan feature, ANGLE on Vulkan and
# no Vulkan surface (nothing to present to) requestAdapter() gives the NVIDIA adapter, though the first
# request of a fresh browser came back null. Vulkan needs the GPU in its own process (no --in-process-gpu).
FLAGS = [
    '--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    '--enable-unsafe-webgpu', '--ignore-gpu-blocklist', '--enable-gpu',
    '--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan', '--use-angle=vulkan', '--disable-vulkan-surface',
    '--enable-logging=stderr', '--v=0',
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dist', default=os.path.join(ROOT, 'dist'), help='the built dist/ (ort/, models/, runtime.js)')
    ap.add_argument('--bench', default=HERE, help='where webgpu.html and webgpu*.js are')
    ap.add_argument('--fixtures', default=os.path.join(ROOT, 'test', 'fixtures'), help='where astronaut.jpg is')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=8123)
    ap.add_argument('--query', default='', help="the page's query string, e.g. 'runs=50&models=ocr-rec'")
    ap.add_argument('--out', default='webgpu-result.json', help='where the result is written')
    ap.add_argument('--chromium', help='run this browser headless and exit with its result')
    ap.add_argument('--flags', help='replace the default Chromium flags (one string, space-separated)')
    ap.add_argument('--flag', action='append', default=[], help='one more Chromium flag')
    ap.add_argument('--timeout', type=float, default=300, help='seconds to wait for the result')
    args = ap.parse_args()

    mounts = [('/bench/', args.bench), ('/fixtures/', args.fixtures), ('/', args.dist)]
    done = threading.Event()

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm'}

        def translate_path(self, path):
            path = path.split('?', 1)[0].split('#', 1)[0]
            for prefix, folder in mounts:
                if path.startswith(prefix):
                    rest = os.path.normpath(path[len(prefix):]).lstrip('/')
                    if rest.startswith('..'):
                        return '/nonexistent'
                    return os.path.join(folder, rest)
            return '/nonexistent'

        def end_headers(self):
            self.send_header('Cross-Origin-Opener-Policy', 'same-origin')
            self.send_header('Cross-Origin-Embedder-Policy', 'require-corp')
            self.send_header('Cross-Origin-Resource-Policy', 'cross-origin')
            self.send_header('Cache-Control', 'no-store')
            super().end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
            self.send_response(204)
            self.end_headers()
            if self.path == '/log':
                print(f'[page {time.strftime("%H:%M:%S")}] {body.decode(errors="replace")}', flush=True)
            elif self.path == '/result':
                with open(args.out, 'wb') as f:
                    f.write(body)
                print(f'result written to {args.out}', flush=True)
                done.set()

        def log_message(self, fmt, *a):
            if len(a) < 2 or not str(int(a[1]) if str(a[1]).isdigit() else a[1]).startswith(('2', '3')):
                sys.stderr.write('[http] ' + (fmt % a) + '\n')

    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://{args.host}:{server.server_address[1]}/bench/webgpu.html' + (f'?{args.query}' if args.query else '')
    print(f'serving {url}', flush=True)

    browser = None
    if args.chromium:
        flags = args.flags.split() if args.flags else list(FLAGS)
        profile = tempfile.mkdtemp(prefix='webgpu-profile-')
        cmd = [args.chromium, *flags, *args.flag, f'--user-data-dir={profile}', url]
        print('chromium:', ' '.join(cmd), flush=True)
        browser = subprocess.Popen(cmd, start_new_session=True)
    ok = done.wait(args.timeout if args.chromium else None)
    if browser:
        try:
            os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(10)
        except Exception:
            os.killpg(browser.pid, signal.SIGKILL)
    server.shutdown()
    if not ok:
        print(f'no result within {args.timeout:.0f} s', file=sys.stderr)
        sys.exit(1)
    with open(args.out) as f:
        print_summary(json.load(f))


def print_summary(r):
    b = r.get('bench') or {}
    pa = r.get('pageAdapter') or {}
    print(f"\nadapter (page): {json.dumps(pa.get('hardware'))}")
    for a in pa.get('attempts', []):
        print(f"  requestAdapter({a['powerPreference']}): {json.dumps(a['adapter'])} in {a['ms']} ms")
    print(f"adapter (onnxruntime): {json.dumps(b.get('ortAdapter'))}")
    print(f"WASM threads: {b.get('wasmThreads')}, cross-origin isolated: {b.get('crossOriginIsolated')}\n")
    print('| model | WASM p50 ms | WebGPU p50 ms | WASM/WebGPU | WebGPU first run ms | WASM first run ms | max abs diff |')
    print('|---|---|---|---|---|---|---|')
    for m in b.get('models', []):
        w, g = m['backends'].get('wasm', {}), m['backends'].get('webgpu', {})
        wp = w.get('run', {}).get('p50')
        gp = g.get('run', {}).get('p50')
        f = lambda v, d=2: '—' if v is None else f'{v:.{d}f}'
        ratio = f'{wp / gp:.2f}×' if wp and gp else '—'
        diff = m.get('diff', {}).get('maxAbsDiff')
        print(f"| {m['id']} | {f(wp)} | {f(gp) if g.get('ok') else g.get('error', '—')[:60]} | {ratio} | "
              f"{f(g.get('firstRunMs'), 1)} | {f(w.get('firstRunMs'), 1)} | {'—' if diff is None else f'{diff:.3g}'} |")
    rt = r.get('runtime')
    if rt:
        print('\nembed API (dist/runtime.js), face-detection, each backend without the warm-up and with it:')
        f = lambda v, d=2: '—' if v is None else f'{v:.{d}f}'
        for k in ('webgpu-cold', 'webgpu', 'wasm-cold', 'wasm'):
            x = rt.get(k, {})
            runs = (x.get('warmUp') or {}).get('runs')
            print(f"  asked {k.replace('-cold', ' (no warm-up)')}: backend {x.get('backend')}, fallback {x.get('fallbackReason')}, "
                  f"faces {len(x.get('faces') or [])}, load {f(x.get('loadMs'), 0)} ms"
                  f"{'' if runs is None else f' (warm-up: {runs} runs)'}, "
                  f"first query {f(x.get('firstQueryMs'), 1)} ms, query p50 {f(x.get('queryP50Ms'), 1)} ms, "
                  f"first/steady {f(x.get('firstOverSteady'), 2)}, error {x.get('error')}")
        print(f"  largest box/score difference between them: {rt.get('faceDiff')}")
        print('\nembed API, TFLite models on LiteRT.js, asked for WebGPU and for WASM:')
        for mid, r in (rt.get('tflite') or {}).items():
            for k in ('webgpu', 'wasm'):
                x = r.get(k, {})
                print(f"  {mid} asked {k}: backend {x.get('backend')}, fallback {x.get('fallbackReason')}, load {f(x.get('loadMs'), 0)} ms, "
                      f"query p50 {f(x.get('queryP50Ms'), 1)} ms, faces {x.get('faces')}, lines {x.get('lines')}, error {x.get('error')}")
            if r.get('faceDiff') is not None:
                print(f"  {mid}: largest box/score difference between them: {r['faceDiff']:.3g}")


if __name__ == '__main__':
    main()
