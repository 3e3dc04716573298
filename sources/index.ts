/**
 * The list of sources, as data: every upstream the gateway aggregates, in composition order. Config
 * (one variable per entry), codegen, the sandbox runner, deploy/ and the compose check read it;
 * src/ names no source. Adding an upstream is adding a folder and one line here (README, "Adding a
 * source").
 */
import type { SourceEntry } from '../src/gateway/source.js';
import { exchangeSource } from './exchange/index.js';
import { marketSource } from './market/index.js';
import { portfolioSource } from './portfolio/index.js';
import { signalsSource } from './signals/index.js';
import { tradingSource } from './trading/index.js';

export const sources = [
  marketSource,
  signalsSource,
  portfolioSource,
  tradingSource,
  exchangeSource,
] as const satisfies readonly SourceEntry[];

/** The name of a source of the list. */
export type SourceName = (typeof sources)[number]['name'];
