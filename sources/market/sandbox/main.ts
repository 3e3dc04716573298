/** Runs the market sandbox standalone: `tsx sources/market/sandbox/main.ts [--port 7001] [--host 127.0.0.1]`. */
import { runSandboxMain } from '../../sandbox-kit/main.js';
import { startMarketSandbox } from './server.js';

await runSandboxMain('market', startMarketSandbox, { port: 7001 });
