/**
 * `keys rewrap`: moves every secret the gateways keep to the keyring's active key-encryption key
 * (KEYS_ENCRYPTION_KEYS' first version) while the gateways run — API keys' HMAC signing secrets and
 * the sources' vaults (linked exchange keys) — and says what still depends on older versions.
 */
import type { Command } from 'commander';
import { sources } from '../../sources/index.js';
import { createKeyCrypto } from '../keys/crypto.js';
import { withKeys } from './key-store.js';
import {
  CliError,
  COMMON_EXIT_CODES,
  EXIT,
  emit,
  exitCodesHelp,
  jsonOption,
  loadCliConfig,
} from './program.js';

export function addRewrapCommand(program: Command): void {
  program
    .command('rewrap')
    .description("re-wrap every stored secret under the keyring's active key (KEYS_ENCRYPTION_KEYS' first)")
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Run it after putting a new version first in KEYS_ENCRYPTION_KEYS (v2:<new>,v1:<old>) on every
gateway. Secrets are re-wrapped in place, while the gateways run; a record changed meanwhile (an
unlink) is left alone. API-key hashes cannot be moved here (the keys are not stored): each moves
to the new pepper on its key's next use. The old version can be removed from the ring once this
reports nothing failed and no key hash still on it (or those keys may stop working).

Example:
  KEYS_ENCRYPTION_KEYS="v2:$NEW,v1:$OLD" npm run -s keys -- rewrap
${exitCodesHelp([
  COMMON_EXIT_CODES.ok,
  [
    EXIT.failure,
    'some secrets did not open (tampered with, or under a version not in the ring), or a store failed',
  ],
  COMMON_EXIT_CODES.usage,
])}`,
    )
    .action(async (options: { json?: boolean }) => {
      const config = await loadCliConfig();
      const report = await withKeys(config, { pepper: true }, async (keysFor, { database, audit }) => {
        const envelopes = createKeyCrypto(config.keyring.versions).envelopes;
        const apiKeys = await keysFor().rewrapSecrets();
        const vaults: Record<string, unknown> = {};
        for (const entry of sources) {
          if (!entry.rewrapSecrets) continue;
          vaults[entry.name] = await entry.rewrapSecrets({ envelopes, database, audit, now: Date.now });
        }
        return { activeVersion: envelopes.activeVersion, apiKeys, sources: vaults };
      });
      const failed = [
        ...report.apiKeys.failed,
        ...Object.values(report.sources).flatMap((r) => (r as { failed: string[] }).failed),
      ];
      emit(options.json, report, () =>
        [
          `active key version: ${report.activeVersion}`,
          `API-key signing secrets: ${report.apiKeys.resealed} re-sealed, ${report.apiKeys.current} already current`,
          `API-key hashes still on an older pepper (they move on next use): ${report.apiKeys.oldHashes.length}`,
          ...Object.entries(report.sources).map(([name, r]) => {
            const { rewrapped, current } = r as { rewrapped: number; current: number };
            return `${name}: ${rewrapped} re-wrapped, ${current} already current`;
          }),
          ...(failed.length > 0 ? [`did not open: ${failed.join(', ')}`] : []),
        ].join('\n'),
      );
      if (failed.length > 0)
        throw new CliError(`${failed.length} secret(s) did not open: see the list above`, EXIT.failure);
    });
}
