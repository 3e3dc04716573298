/** Runs the trading sandbox standalone: `tsx sources/trading/sandbox/main.ts --port 7004 --admin-port 7014`. */
import { runSandboxMain } from '../../sandbox-kit/main.js';
import { startTradingSandbox } from './server.js';

await runSandboxMain('trading', startTradingSandbox, { port: 7004, adminPort: 7014 });
