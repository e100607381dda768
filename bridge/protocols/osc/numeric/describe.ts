// Every address numeric OSC may send for a model's ports, for docs and OSCQuery.
import type { Port } from '../../../../web/contract/index.ts';
import { Encoder } from './encoder.ts';
import { MAX_STRING_BYTES, settingsOf, type NumericAddress, type NumericOptions } from './options.ts';
import { declaredLength, declaredNames, declaresNumbers, isNamedPoints, isNumberSpec, itemOf, NOT_NUMERIC, specOf, STRING_TYPES, type Spec } from './specs.ts';
import { int, part } from './wire.ts';

/**
 * Every address `encodeNumeric` may send for these ports, with type tags and a description: for docs
 * and OSCQuery. The third argument is the slots, or the options (`prefix`, `slots`, `maxBytes`).
 */
export function describeNumeric(model: string, ports: readonly Port[], slotsOrOptions?: number | NumericOptions): NumericAddress[] {
  const settings = settingsOf(typeof slotsOrOptions === 'number' ? { slots: slotsOrOptions } : slotsOrOptions ?? {});
  const encoder = new Encoder(settings);
  const out: NumericAddress[] = [];
  const add = (address: string, types: string, description: string): void => {
    out.push({ address, types, description });
  };
  const about = (spec: Spec | undefined, fallback: string) => spec?.description ?? fallback;
  const field = (list: string, key: string) => `${key} of each ${list} entry`;

  const walk = (address: string, spec: Spec | undefined, name: string, top: boolean): void => {
    const type = spec?.type;
    if (type !== undefined && NOT_NUMERIC.has(type)) return;
    if (isNumberSpec(spec)) return add(address, 'f', about(spec, name));
    if (type === 'boolean') return add(address, 'i', about(spec, name) + ' (1 or 0)');
    if (type !== undefined && STRING_TYPES.has(type)) return add(address, 's', about(spec, name) + ` (at most ${MAX_STRING_BYTES} bytes of UTF-8)`);
    if (type === 'tensor') {
      add(`${address}/dtype`, 's', `${name}: the element type (float32, int64, …)`);
      add(`${address}/dims`, 'i*', `${name}: its dimensions`);
      return long(address, spec, name);
    }
    if (declaresNumbers(spec) || (type === 'vector' && !spec?.itemType)) {
      const n = declaredLength(spec);
      if (n !== undefined && n <= encoder.capacity(address, [])) {
        return add(address, 'f'.repeat(n), about(spec, `${name}: ${n} numbers`));
      }
      // Too many for one message (a face mesh's 468 points), or an output's list of no fixed length.
      if (top || n !== undefined) return long(address, spec, name);
      return add(address, 'f*', about(spec, `${name}: numbers`));
    }
    if (type === 'array' && !spec?.itemType) {
      // Numbers or entries: only the values tell (a port can say with itemType and length).
      return add(address, '*', `${about(spec, name)}: as the values come: numbers as one f… message (nested lists ` +
        `flattened${top ? '; at an output, /count and chunks' : ''}), entries as /count and /<i>/…`);
    }
    if (type === 'array' || type === 'vector') {
      const item = itemOf(spec);
      if (item && isNamedPoints(spec, [])) {
        const numbers = Object.entries(item.properties ?? {}).filter(([k, f]) => k !== 'name' && isNumberSpec(f)).map(([k]) => k);
        for (const point of declaredNames(spec) ?? ['<name>']) {
          add(`${address}/${point === '<name>' ? point : part(point)}`, 'f'.repeat(numbers.length),
            `${about(spec, name)}: ${numbers.join(' ')} of the point named ${point === '<name>' ? 'by <name>' : point}`);
          for (const [k, f] of Object.entries(item.properties ?? {})) {
            if (k !== 'name' && !numbers.includes(k)) walk(`${address}/${point === '<name>' ? point : part(point)}/${part(k)}`, f, `${k} of that point`, false);
          }
        }
        return;
      }
      add(`${address}/count`, 'i', `How many ${name} entries there are` +
        (settings.slots === undefined ? '' : ` (all of them; exactly ${settings.slots} entries are sent, missing ones zeroed, extra ones dropped)`));
      const indices = settings.slots === undefined ? ['<i>'] : Array.from({ length: settings.slots }, (_, i) => String(i));
      for (const i of indices) {
        if (item?.properties) {
          for (const [k, f] of Object.entries(item.properties)) walk(`${address}/${i}/${part(k)}`, f, field(name, k), false);
        } else if (item) {
          walk(`${address}/${i}`, item, `each ${name} entry`, false);
        } else {
          add(`${address}/${i}/*`, '*', `${about(spec, name)}: each entry's fields as their values come`);
        }
      }
      return;
    }
    if (spec?.properties) {
      for (const [k, f] of Object.entries(spec.properties)) walk(`${address}/${part(k)}`, f, `${k} of ${name}`, false);
      return;
    }
    add(address, '*', `${about(spec, name)}: as the value comes (numbers f, lists f…, text s, entries count + <i>/…)`);
  };

  const long = (address: string, spec: Spec | undefined, name: string) => {
    add(`${address}/count`, 'i', `${name}: how many numbers there are`);
    add(address, 'if*', `${about(spec, name)}: chunks of up to ${encoder.capacity(address, [int(0)])} numbers, the int the index of the chunk's first`);
  };

  const base = `${settings.prefix}/${part(model)}`;
  for (const port of ports) walk(`${base}/${part(port.name)}`, specOf(port), port.name, true);
  return out;
}

