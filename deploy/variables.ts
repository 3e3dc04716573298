/**
 * The gateway's variables as every deployment check reads them (compose:check and k8s:check), from
 * the one source of truth: src/config.ts, whose lists include one variable per entry of
 * sources/index.ts. A variable added there reaches both checks at once.
 */
import { configVariables, productionRequiredVariables, secretVariables } from '../src/config.js';

/** What a deployment must know of the gateway's environment. */
export interface GatewayVariables {
  /** Every variable the gateway reads: a deployment may set no other. */
  readonly all: readonly string[];
  /** Variables that may hold credentials: from a secret store, never a literal. */
  readonly secret: readonly string[];
  /** Variables production refuses to start without. */
  readonly requiredInProduction: readonly string[];
}

/** The gateway's variables (src/config.ts). */
export const gatewayVariables: GatewayVariables = {
  all: configVariables,
  secret: secretVariables,
  requiredInProduction: productionRequiredVariables,
};
