// `node --import tsx scripts/onnx-to-tflite/cli.ts <model.onnx> <model.tflite>`: what the installer
// runs for a model.json with "convertedFrom" (scripts/install-models.mjs).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { convertOnnxToTflite } from './convert.ts';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: cli.ts <model.onnx> <model.tflite>');
  process.exit(2);
}
const out = convertOnnxToTflite(readFileSync(from));
// Written aside and renamed, so that an interrupted install leaves no half file the installer would keep.
writeFileSync(`${to}.part`, out);
renameSync(`${to}.part`, to);
