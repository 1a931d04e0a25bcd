import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every IAM policy (`AWS::IAM::Policy`) in the template, with the policy's roles. */
export function policyStatements(template: Template): { roles: unknown[]; statement: PolicyStatementJson }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
    const properties = (
      policy as { Properties: { Roles?: unknown[]; PolicyDocument: { Statement: unknown[] } } }
    ).Properties;
    return properties.PolicyDocument.Statement.map((statement) => ({
      roles: properties.Roles ?? [],
      statement: statement as PolicyStatementJson,
    }));
  });
}

/**
 * The allowed actions of the policies attached to `roleRef` (a resolved `{ Ref }`), each with the resources
 * it is granted on, as JSON strings so that intrinsic functions compare by value.
 */
export function permissionsOf(template: Template, roleRef: unknown): Map<string, Set<string>> {
  const permissions = new Map<string, Set<string>>();
  const wanted = JSON.stringify(roleRef);
  for (const { roles, statement } of policyStatements(template)) {
    if (!roles.some((role) => JSON.stringify(role) === wanted) || statement.Effect !== 'Allow') continue;
    for (const action of asArray(statement.Action)) {
      const resources = permissions.get(action) ?? new Set<string>();
      for (const resource of asArray(statement.Resource)) resources.add(JSON.stringify(resource));
      permissions.set(action, resources);
    }
  }
  return permissions;
}

/** `stack.resolve(token)` as a JSON string, to compare with `permissionsOf` resources. */
export const resolvedJson = (stack: Stack, token: unknown): string => JSON.stringify(stack.resolve(token));

/**
 * A dashboard body is an `Fn::Join` of strings and intrinsic functions (queue names, region): replace each
 * intrinsic by a placeholder string and parse the JSON.
 */
export function dashboardBody(body: unknown): {
  widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
} {
  const join = (body as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) return JSON.parse(body as string) as ReturnType<typeof dashboardBody>;
  const text = join[1].map((part) => (typeof part === 'string' ? part : '<token>')).join(join[0]);
  return JSON.parse(text) as ReturnType<typeof dashboardBody>;
}
