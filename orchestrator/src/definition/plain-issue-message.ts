import type { z } from 'zod';

/*
 * zod's own wording ("Invalid input: expected string, received undefined") made plain, for the messages
 * people read: the validator's diagnostics and the reasons a bad queue message is refused with. A schema's
 * own messages are sentences in lower case; zod's start with a capital.
 */

/** Zod's own messages start with a capital ("Invalid input: ..."); the schema's messages are plain sentences. */
export function isLibraryWording(message: string): boolean {
  return /^[A-Z]/.test(message);
}

/** What a value of zod's `expected` kind is, as a rule: `must be text`. */
export function expectedKind(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
    case 'map':
      return 'must be a map of fields';
    case 'array':
    case 'tuple':
    case 'set':
      return 'must be a list';
    case 'string':
      return 'must be text';
    case 'number':
    case 'bigint':
      return 'must be a number';
    case 'int':
      return 'must be a whole number';
    case 'boolean':
      return 'must be true or false';
    default:
      return 'has a value of the wrong kind';
  }
}

/** A plain sentence for an issue the schema gives no message of its own. */
export function plainMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_big':
    case 'too_small': {
      const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
      const most = issue.code === 'too_big' ? 'at most' : 'at least';
      if (issue.origin === 'string') {
        return issue.code === 'too_small' && bound === 1
          ? 'must not be empty'
          : `must be ${most} ${bound} characters`;
      }
      if (issue.origin === 'array') return `must have ${most} ${bound} entries`;
      return `must be ${most} ${bound}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return 'is not in the expected form';
    default:
      return 'is not valid here';
  }
}

/**
 * A queue message's problem at one field, as plain as the validator's and quoting nothing of the body (the
 * reason is logged and kept on the dead letter): `is missing`, `must be text`, `must be at most 1000
 * characters`, `must be one of SUCCESS, FAILURE`, `unknown field 'extra'` (a field's name is no value).
 */
export function plainMessageProblem(issue: z.core.$ZodIssue, present: boolean): string {
  if (!isLibraryWording(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return present ? expectedKind(issue.expected) : 'is missing';
    case 'invalid_union': {
      const options = (issue as { options?: unknown }).options;
      return Array.isArray(options)
        ? `must be one of ${options.map(String).join(', ')}`
        : 'is not valid here';
    }
    case 'unrecognized_keys':
      // A field's name is the sender's text too: bounded, so a reason stays a line.
      return issue.keys.map((k) => `unknown field '${k.length > 40 ? `${k.slice(0, 40)}…` : k}'`).join(', ');
    default:
      return plainMessage(issue);
  }
}
