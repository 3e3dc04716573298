/** Runs the portfolio sandbox standalone: `tsx sources/portfolio/sandbox/main.ts --port 7003 --admin-port 7013`. */
import { runSandboxMain } from '../../sandbox-kit/main.js';
import { startPortfolioSandbox } from './server.js';

await runSandboxMain('portfolio', startPortfolioSandbox, { port: 7003, adminPort: 7013 });
