// Numeric OSC: one model output as small messages of numbers that a TouchDesigner OSC In CHOP, Pure Data's
// [oscparse] or Max's [udpreceive] → [route] can take apart, instead of `/data s <json>` (bridge/protocols/osc/index.ts).
// Pure: values in, datagrams out; sending them is the caller's.
//
// Addresses are `<prefix>/<model>/<output>/…`, derived from the output ports (Runway-shaped, as in
// public/models/*/model.json) and the values, by output type, never by model:
//
// • number → `…/<output> f`; boolean → `i` 0/1; text (and category) → `s`, cut to at most 900 UTF-8 bytes
//   on a character boundary ([oscparse] cuts strings at 999 bytes) or less if the datagram needs it.
//   null (JSON's NaN) and non-finite numbers go as 0. Image, segmentation, audio and file outputs are
//   left out: they are not numbers.
// • A list of numbers, nested lists flattened (a box [x,y,w,h], six [x,y] keypoints):
//   - inside an entry, or an output port that declares a `length` that fits: one message, `… f f f f`;
//   - an output port without a fixed length (voice-activity's probabilities) and a tensor's data:
//     `…/count i <n>`, then chunks `… i <start> f f …`, each at the same address, its first argument the
//     index of its first number (Pd: [list split 1], the start to [array set]'s right inlet before the
//     numbers to its left; Max: [zl slice 1]).
//     A list inside an entry that cannot fit in one datagram (only with a tiny maxBytes) goes this way too.
// • A list of entries (faces, lines, ocr lines, segments, poses): `…/count i <n>`, then each entry at
//   `…/<i>/…` from 0, its fields by name: `/face-detection/faces/0/box f f f f`, `…/0/score f`,
//   `…/0/keypoints f×12`. With `slots: N` every such list sends exactly N entries: the missing ones as
//   zeros (0, i 0, s "", lists of zeros), shaped by the port's `itemType` or else by the first real
//   entry; entries beyond N are dropped, and count still says how many there were. A field the port
//   declares but an entry lacks is zeroed too. A part of an empty entry whose shape neither the port
//   nor a real entry tells (a list without `length`) is left out.
// • A list of named points — entries of a `name` and only numbers besides, names all different (pose and
//   hand keypoints `{name, x, y, z, score}`, a class list `{name, score}`) — goes by name, not index:
//   `/pose/poses/0/keypoints/nose f x y z score`, the numbers in the order the port's itemType lists
//   them (else as they come), a declared number an entry lacks as 0, anything else an entry carries under
//   `…/<name>/<field>`. Names are stable per model and read well as a CHOP channel or in a [route]; no
//   count (the set of names is the model's). With the names given as the `oneOf` of the itemType's
//   `name` field, a missing point is sent as zeros under `slots`.
// • Names in addresses (outputs, fields, points) have what an OSC address cannot hold (space # * , / ?
//   [ ] { }, control and non-ASCII characters) as `_`, and at most 64 bytes.
// • A tensor `{dtype, dims, data}`: `…/dtype s`, `…/dims i…`, and its data as a long list (above);
//   strings as `… i <index> s`. Other objects: their fields at `…/<field>`.
//
// Datagrams: every one holds at most `maxBytes` (default 1,536: oscP5's receive buffer; larger ones it
// loses). By default the messages are grouped, in order, into bundles (timetag 1, "immediately"), as
// many as fit, one bundle per datagram; `bundles: false` makes each message its own datagram (for
// receivers that take no bundles). Vanilla Pd 0.53's [netreceive -u -b] → [oscparse] unpacks bundles
// (nested ones too); it gives `i` and `f` as floats, `s` as a symbol, and every address part as a
// symbol — route an index with [route \0 \1 …] or [route count \0] (a plain [route 0] matches no symbol).
import osc, { type TimeTag, type TypedArgument } from 'osc';
import type { Port, Values } from '../../../../web/contract/index.ts';
import { Encoder } from './encoder.ts';
import { settingsOf, type NumericOptions } from './options.ts';
import { specOf, zeroOf } from './specs.ts';
import { pack, part } from './wire.ts';

export { DEFAULT_MAX_BYTES, MAX_MAX_BYTES, MAX_STRING_BYTES, MIN_MAX_BYTES, type NumericAddress, type NumericOptions } from './options.ts';
export { describeNumeric } from './describe.ts';

export function encodeNumeric(model: string, ports: readonly Port[], outputs: Values, options: NumericOptions = {}): Uint8Array[] {
  const settings = settingsOf(options);
  const encoder = new Encoder(settings);
  const base = `${settings.prefix}/${part(model)}`;
  const named = new Set<string>();
  for (const port of ports) {
    named.add(port.name);
    const spec = specOf(port);
    let value = outputs[port.name];
    if ((value === undefined || value === null) && settings.slots !== undefined) value = zeroOf(spec, undefined);
    encoder.value(`${base}/${part(port.name)}`, spec, value, true);
  }
  for (const [name, value] of Object.entries(outputs)) {
    if (!named.has(name)) encoder.value(`${base}/${part(name)}`, undefined, value, true);
  }
  return pack(encoder.messages, settings);
}

