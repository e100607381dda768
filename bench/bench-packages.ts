// Benchmark-only packages (bench/package.json) live in bench/node_modules, installed by `npm run bench`,
// so they are loaded by path rather than by name.
export const loadBenchPackage = async (name: string) =>
  import(new URL(`./node_modules/${name}/${name === 'autocannon' ? 'autocannon.js' : 'dist/index.js'}`, import.meta.url).href);
