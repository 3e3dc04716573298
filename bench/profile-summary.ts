/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --cpu-prof`): self time by
 * package or project folder, and the functions with the most self time.
 * Usage: tsx bench/profile-summary.ts FILE.cpuprofile [--top 30] [--filter text]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, filter: { type: 'string' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: tsx bench/profile-summary.ts FILE.cpuprofile [--top 30] [--filter text]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfMicros.values()].reduce((sum, v) => sum + v, 0);

/** `node_modules/@scope/name` or `node_modules/name`, `src/<folder>`, `sources/<name>`, node internals, V8. */
function area(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  const project = /\/(src\/[^/]+|sources\/[^/]+|bench)\//.exec(url);
  return project ? project[1]! : url;
}

const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = area(url, functionName);
  byArea.set(key, (byArea.get(key) ?? 0) + micros);
  const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|sources)\//, '$1/')}:${lineNumber + 1}`;
  if (!values.filter || fn.includes(values.filter)) byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
}

const pct = (micros: number) => `${((micros / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`total sampled: ${(total / 1e6).toFixed(2)} s\n\nself time by area:`);
for (const [key, micros] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`  ${pct(micros)}  ${key}`);
}
console.log('\nfunctions with the most self time:');
for (const [key, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`  ${pct(micros)}  ${key}`);
}
