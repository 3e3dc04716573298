/** Runs the portfolio sandbox standalone: `tsx sources/portfolio/sandbox/main.ts --port 7003 --admin-port 7013`. */
import { runGrpcSandboxMain } from '../../sandbox-kit/grpc.js';
import { startPortfolioSandbox } from './server.js';

await runGrpcSandboxMain('portfolio', startPortfolioSandbox, { port: 7003, adminPort: 7013 });
