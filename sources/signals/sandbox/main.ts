/** Runs the signals sandbox standalone: `tsx sources/signals/sandbox/main.ts [--port 7002] [--host 127.0.0.1]`. */
import { runSandboxMain } from '../../sandbox-kit/main.js';
import { startSignalsSandbox } from './server.js';

await runSandboxMain('signals', startSignalsSandbox, { port: 7002 });
