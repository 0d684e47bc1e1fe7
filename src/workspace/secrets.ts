/** Generated edits are refused when they add a credential; the rule set lives in src/security. */
export { scanSecrets, type SecretFinding } from '../security/secrets';
