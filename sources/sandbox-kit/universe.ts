/**
 * The deterministic world every sandbox serves: tokens, users, accounts, positions and orders.
 * It is part of the contract (DESIGN.md "Domain"): examples, docs and black-box tests rely on it,
 * so it is generated from fixed seeds and never from the clock or Math.random.
 */
import { createRandom } from './random.js';

export interface UniverseToken {
  id: string;
  symbol: string;
  name: string;
  chain: string | null;
  /** USD price as a decimal string with 8 fractional digits at most. */
  priceUsd: string;
  change24h: number;
  volume24hUsd: string;
  marketCapUsd: string;
  circulatingSupply: string;
}

export interface UniverseAccount {
  id: string;
  userId: string;
  name: string;
  positions: UniversePosition[];
}

export interface UniversePosition {
  tokenId: string;
  /** Decimal string. */
  quantity: string;
  /** Decimal string, or null when the cost basis is unknown (transferred in). */
  averageCost: string | null;
}

export interface UniverseOrder {
  id: string;
  accountId: string;
  tokenId: string;
  side: 'BUY' | 'SELL';
  type: 'MARKET' | 'LIMIT';
  quantity: string;
  limitPrice: string | null;
  status: 'OPEN' | 'FILLED' | 'CANCELLED';
  clientOrderId: string;
  createdAt: string;
}

/** The fixed instant the sandbox data is "as of"; prices and signals carry it as their update time. */
export const UNIVERSE_EPOCH = '2026-01-01T00:00:00.000Z';

const WELL_KNOWN: ReadonlyArray<readonly [id: string, symbol: string, name: string, chain: string | null]> = [
  ['bitcoin', 'BTC', 'Bitcoin', 'bitcoin'],
  ['ethereum', 'ETH', 'Ethereum', 'ethereum'],
  ['tether', 'USDT', 'Tether', 'ethereum'],
  ['binancecoin', 'BNB', 'BNB', 'bsc'],
  ['solana', 'SOL', 'Solana', 'solana'],
  ['usd-coin', 'USDC', 'USD Coin', 'ethereum'],
  ['ripple', 'XRP', 'XRP', 'xrp-ledger'],
  ['dogecoin', 'DOGE', 'Dogecoin', 'dogecoin'],
  ['cardano', 'ADA', 'Cardano', 'cardano'],
  ['tron', 'TRX', 'TRON', 'tron'],
  ['avalanche-2', 'AVAX', 'Avalanche', 'avalanche'],
  ['chainlink', 'LINK', 'Chainlink', 'ethereum'],
  ['polkadot', 'DOT', 'Polkadot', 'polkadot'],
  ['toncoin', 'TON', 'Toncoin', 'ton'],
  ['shiba-inu', 'SHIB', 'Shiba Inu', 'ethereum'],
  ['litecoin', 'LTC', 'Litecoin', 'litecoin'],
  ['bitcoin-cash', 'BCH', 'Bitcoin Cash', 'bitcoin-cash'],
  ['near', 'NEAR', 'NEAR Protocol', 'near'],
  ['uniswap', 'UNI', 'Uniswap', 'ethereum'],
  ['polygon', 'POL', 'Polygon', 'polygon'],
  ['internet-computer', 'ICP', 'Internet Computer', 'icp'],
  ['aptos', 'APT', 'Aptos', 'aptos'],
  ['dai', 'DAI', 'Dai', 'ethereum'],
  ['ethereum-classic', 'ETC', 'Ethereum Classic', 'ethereum-classic'],
  ['stellar', 'XLM', 'Stellar', 'stellar'],
  ['monero', 'XMR', 'Monero', 'monero'],
  ['cosmos', 'ATOM', 'Cosmos Hub', 'cosmos'],
  ['filecoin', 'FIL', 'Filecoin', 'filecoin'],
  ['hedera', 'HBAR', 'Hedera', 'hedera'],
  ['arbitrum', 'ARB', 'Arbitrum', 'arbitrum'],
  ['optimism', 'OP', 'Optimism', 'optimism'],
  ['sui', 'SUI', 'Sui', 'sui'],
  ['vechain', 'VET', 'VeChain', 'vechain'],
  ['maker', 'MKR', 'Maker', 'ethereum'],
  ['aave', 'AAVE', 'Aave', 'ethereum'],
  ['algorand', 'ALGO', 'Algorand', 'algorand'],
  ['the-graph', 'GRT', 'The Graph', 'ethereum'],
  ['injective', 'INJ', 'Injective', 'injective'],
  ['render', 'RENDER', 'Render', 'solana'],
  ['immutable-x', 'IMX', 'Immutable', 'ethereum'],
  ['stacks', 'STX', 'Stacks', 'stacks'],
  ['kaspa', 'KAS', 'Kaspa', 'kaspa'],
  ['fantom', 'FTM', 'Fantom', 'fantom'],
  ['theta-token', 'THETA', 'Theta Network', 'theta'],
  ['the-sandbox', 'SAND', 'The Sandbox', 'ethereum'],
  ['decentraland', 'MANA', 'Decentraland', 'ethereum'],
  ['axie-infinity', 'AXS', 'Axie Infinity', 'ethereum'],
  ['tezos', 'XTZ', 'Tezos', 'tezos'],
  ['eos', 'EOS', 'EOS', 'eos'],
  ['flow', 'FLOW', 'Flow', 'flow'],
  ['quant-network', 'QNT', 'Quant', 'ethereum'],
  ['elrond-erd-2', 'EGLD', 'MultiversX', 'multiversx'],
  ['chiliz', 'CHZ', 'Chiliz', 'chiliz'],
  ['neo', 'NEO', 'NEO', 'neo'],
  ['kucoin-shares', 'KCS', 'KuCoin Token', 'kucoin'],
  ['iota', 'IOTA', 'IOTA', 'iota'],
  ['pancakeswap-token', 'CAKE', 'PancakeSwap', 'bsc'],
  ['curve-dao-token', 'CRV', 'Curve DAO', 'ethereum'],
  ['lido-dao', 'LDO', 'Lido DAO', 'ethereum'],
  ['gala', 'GALA', 'Gala', 'ethereum'],
  ['zcash', 'ZEC', 'Zcash', 'zcash'],
  ['dash', 'DASH', 'Dash', 'dash'],
  ['mina-protocol', 'MINA', 'Mina', 'mina'],
  ['synthetix-network-token', 'SNX', 'Synthetix', 'ethereum'],
  ['1inch', '1INCH', '1inch', 'ethereum'],
  ['enjincoin', 'ENJ', 'Enjin Coin', 'ethereum'],
  ['basic-attention-token', 'BAT', 'Basic Attention Token', 'ethereum'],
  ['compound-governance-token', 'COMP', 'Compound', 'ethereum'],
  ['pepe', 'PEPE', 'Pepe', 'ethereum'],
  ['bonk', 'BONK', 'Bonk', 'solana'],
  ['dogwifcoin', 'WIF', 'dogwifhat', 'solana'],
  ['jupiter-exchange-solana', 'JUP', 'Jupiter', 'solana'],
  ['pyth-network', 'PYTH', 'Pyth Network', 'solana'],
  ['celestia', 'TIA', 'Celestia', 'celestia'],
  ['sei-network', 'SEI', 'Sei', 'sei'],
  ['starknet', 'STRK', 'Starknet', 'starknet'],
  ['worldcoin-wld', 'WLD', 'Worldcoin', 'optimism'],
  ['ondo-finance', 'ONDO', 'Ondo', 'ethereum'],
  ['ethena', 'ENA', 'Ethena', 'ethereum'],
  ['pendle', 'PENDLE', 'Pendle', 'ethereum'],
  ['thorchain', 'RUNE', 'THORChain', 'thorchain'],
  ['kava', 'KAVA', 'Kava', 'kava'],
  ['osmosis', 'OSMO', 'Osmosis', 'osmosis'],
  ['helium', 'HNT', 'Helium', 'solana'],
  ['arweave', 'AR', 'Arweave', 'arweave'],
  ['fetch-ai', 'FET', 'Fetch.ai', 'ethereum'],
  ['ocean-protocol', 'OCEAN', 'Ocean Protocol', 'ethereum'],
  ['singularitynet', 'AGIX', 'SingularityNET', 'ethereum'],
  ['loopring', 'LRC', 'Loopring', 'ethereum'],
  ['zilliqa', 'ZIL', 'Zilliqa', 'zilliqa'],
  ['harmony', 'ONE', 'Harmony', 'harmony'],
  ['ravencoin', 'RVN', 'Ravencoin', 'ravencoin'],
  ['qtum', 'QTUM', 'Qtum', 'qtum'],
  ['waves', 'WAVES', 'Waves', 'waves'],
  ['icon', 'ICX', 'ICON', 'icon'],
  ['ankr', 'ANKR', 'Ankr', 'ethereum'],
  ['storj', 'STORJ', 'Storj', 'ethereum'],
  ['siacoin', 'SC', 'Siacoin', 'sia'],
  ['golem', 'GLM', 'Golem', 'ethereum'],
  ['wrapped-bitcoin', 'WBTC', 'Wrapped Bitcoin', 'ethereum'],
];

/** Plausible USD prices for the largest tokens, so demo screens look like a market; others are random. */
const REFERENCE_PRICES: Readonly<Record<string, number>> = {
  bitcoin: 97_250.5,
  ethereum: 3_412.75,
  tether: 1,
  binancecoin: 642.1,
  solana: 187.42,
  'usd-coin': 1,
  ripple: 2.31,
  dogecoin: 0.3912,
  cardano: 0.9821,
  tron: 0.2543,
  'avalanche-2': 41.07,
  chainlink: 23.88,
  polkadot: 8.76,
  litecoin: 104.3,
  dai: 1,
  'wrapped-bitcoin': 97_180.25,
};

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ra',
  'ven',
  'tor',
  'zu',
  'qua',
  'nex',
  'bi',
  'sol',
  'dra',
  'pho',
  'lyn',
  'tek',
  'oro',
];
const CHAINS = ['ethereum', 'solana', 'bsc', 'arbitrum', 'base', 'polygon', null] as const;

/** How many tokens the market knows: the well-known ones plus deterministic synthetic ones. */
export const TOKEN_COUNT = 640;

function decimal(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '') || '0';
}

function buildTokens(): UniverseToken[] {
  const random = createRandom(0x5717c4);
  const tokens: UniverseToken[] = [];
  const seen = new Set<string>();
  WELL_KNOWN.forEach(([id, symbol, name, chain], rank) => {
    seen.add(id);
    // Well-known tokens lead the market-cap ranking in their listed order (bitcoin first).
    tokens.push(priced(random, { id, symbol, name, chain }, 2e12 / (rank + 1) ** 1.3, REFERENCE_PRICES[id]));
  });
  while (tokens.length < TOKEN_COUNT) {
    const parts = 2 + random.int(2);
    let slug = '';
    for (let i = 0; i < parts; i++) slug += SYLLABLES[random.int(SYLLABLES.length)];
    if (seen.has(slug)) slug = `${slug}-${tokens.length}`;
    seen.add(slug);
    const name = `${slug[0]!.toUpperCase()}${slug.slice(1)}`.replace(/-\d+$/, '');
    tokens.push(
      priced(
        random,
        {
          id: slug,
          symbol: slug.replace(/-/g, '').slice(0, 5).toUpperCase(),
          name: `${name} Token`,
          chain: CHAINS[random.int(CHAINS.length)] ?? null,
        },
        10 ** (5 + random.float() * 4),
      ), // 100 k .. 1 bn USD: below every well-known token
    );
  }
  return tokens;
}

function priced(
  random: ReturnType<typeof createRandom>,
  meta: Pick<UniverseToken, 'id' | 'symbol' | 'name' | 'chain'>,
  targetMarketCap: number,
  referencePrice?: number,
): UniverseToken {
  const randomPrice = 10 ** (random.float() * 9 - 4); // 0.0001 .. 100 000 USD; drawn always, so the sequence stays put
  const price = referencePrice ?? randomPrice;
  const supply = Math.max(1, Math.round(targetMarketCap / price));
  return {
    ...meta,
    priceUsd: decimal(price, price < 1 ? 8 : 2),
    change24h: Math.round((random.float() * 30 - 15) * 100) / 100,
    volume24hUsd: decimal(price * supply * random.float() * 0.1, 2),
    marketCapUsd: decimal(price * supply, 2),
    circulatingSupply: String(supply),
  };
}

function buildAccounts(tokens: readonly UniverseToken[]): UniverseAccount[] {
  const random = createRandom(0xacc0);
  const positionsOf = (count: number, offset: number): UniversePosition[] =>
    Array.from({ length: count }, (_, i) => {
      const token = tokens[(offset + i) % tokens.length]!;
      const quantity = decimal(random.float() * 1000 + 0.001, 6);
      const knownCost = random.int(10) !== 0;
      return {
        tokenId: token.id,
        quantity,
        averageCost: knownCost ? decimal(Number(token.priceUsd) * (0.5 + random.float()), 8) : null,
      };
    });
  return [
    { id: 'acc-1', userId: 'user-1', name: 'Main', positions: positionsOf(50, 0) },
    { id: 'acc-2', userId: 'user-1', name: 'Index', positions: positionsOf(500, 3) },
    { id: 'acc-3', userId: 'user-1', name: 'Empty', positions: [] },
    { id: 'acc-4', userId: 'user-2', name: 'Starter', positions: positionsOf(1, 0) },
  ];
}

function buildOrders(): UniverseOrder[] {
  const base = Date.parse(UNIVERSE_EPOCH);
  const order = (
    n: number,
    accountId: string,
    tokenId: string,
    side: UniverseOrder['side'],
    type: UniverseOrder['type'],
    quantity: string,
    limitPrice: string | null,
    status: UniverseOrder['status'],
  ): UniverseOrder => ({
    id: `ord-${n}`,
    accountId,
    tokenId,
    side,
    type,
    quantity,
    limitPrice,
    status,
    clientOrderId: `seed-${n}`,
    createdAt: new Date(base - n * 3_600_000).toISOString(),
  });
  return [
    order(1, 'acc-1', 'bitcoin', 'BUY', 'LIMIT', '0.5', '60000', 'OPEN'),
    order(2, 'acc-1', 'ethereum', 'SELL', 'MARKET', '2', null, 'FILLED'),
    order(3, 'acc-1', 'solana', 'BUY', 'LIMIT', '10', '120.5', 'CANCELLED'),
    order(4, 'acc-2', 'cardano', 'BUY', 'MARKET', '1500', null, 'FILLED'),
    order(5, 'acc-4', 'bitcoin', 'BUY', 'LIMIT', '0.01', '55000', 'OPEN'),
  ];
}

/** All tokens, in a fixed order (well-known first). */
export const tokens: readonly UniverseToken[] = buildTokens();
/** Tokens by id. */
export const tokensById: ReadonlyMap<string, UniverseToken> = new Map(tokens.map((t) => [t.id, t]));
/** All accounts with their positions. */
export const accounts: readonly UniverseAccount[] = buildAccounts(tokens);
/** Accounts by id. */
export const accountsById: ReadonlyMap<string, UniverseAccount> = new Map(accounts.map((a) => [a.id, a]));
/** The orders every trading sandbox starts with. */
export const seedOrders: readonly UniverseOrder[] = buildOrders();
