import { uncertainKeyUses } from './context-key-flow';
import { validateDefinitionCore, type ValidateOptions, type ValidationResult } from './definition-validation';

export type { ValidateOptions, ValidationResult } from './definition-validation';

/**
 * Validates a definition with every check, warnings included: what authors, the CLI and the console see.
 * The orchestrator uses `validateDefinitionCore` without the warnings-only key-flow analysis.
 */
export function validateDefinition(
  file: string,
  text: string,
  options: ValidateOptions = {},
): ValidationResult {
  return validateDefinitionCore(file, text, { keyFlow: uncertainKeyUses, ...options });
}
