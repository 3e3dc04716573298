/** Runs the trading sandbox standalone: `tsx sources/trading/sandbox/main.ts --port 7004 --admin-port 7014`. */
import { runGrpcSandboxMain } from '../../sandbox-kit/grpc.js';
import { startTradingSandbox } from './server.js';

await runGrpcSandboxMain('trading', startTradingSandbox, { port: 7004, adminPort: 7014 });
