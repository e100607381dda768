// The files in test/fixtures, as bytes and as data URIs.
import { readFileSync } from 'node:fs';

export const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
export const dataUri = (name: string, type: string) => `data:${type};base64,${fixture(name).toString('base64')}`;
