/** Runs the exchange sandbox standalone: `tsx sources/exchange/sandbox/main.ts [--port 7005] [--host 127.0.0.1]`. */
import { runSandboxMain } from '../../sandbox-kit/main.js';
import { startExchangeSandbox } from './server.js';

await runSandboxMain('exchange', startExchangeSandbox, { port: 7005 });
