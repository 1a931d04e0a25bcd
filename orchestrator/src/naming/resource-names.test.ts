import { capabilityDomain, resourceNames } from './resource-names';

describe('resourceNames', () => {
  it('names every resource cch-<env>-<owner>-<resource>', () => {
    const names = resourceNames({ env: 'dev', owner: 'alice' });
    expect(names.commandQueue).toBe('cch-dev-alice-orchestrator-command-queue');
    expect(names.replyQueue).toBe('cch-dev-alice-orchestrator-reply-queue');
    expect(names.capabilityRequestQueue('import')).toBe('cch-dev-alice-capability-import-request-queue');
    expect(names.definitionsBucket).toBe('cch-dev-alice-workflow-definitions-bucket');
    expect(names.eventDataBucket).toBe('cch-dev-alice-eventdata-bucket');
    expect(names.stateTable).toBe('cch-dev-alice-workflow-state-table');
    expect(names.orchestratorFunction).toBe('cch-dev-alice-workflow-orchestrator-function');
  });

  it.each([
    [{ env: 'Dev', owner: 'alice' }, "env 'Dev' must be"],
    [{ env: 'dev', owner: '' }, "owner '' must be"],
    [{ env: 'dev', owner: 'a'.repeat(17) }, 'owner'],
    [{ env: 'dev', owner: 'al ice' }, "owner 'al ice'"],
    [
      { env: 'dev', owner: 'dvan97_nike' },
      "owner 'dvan97_nike' must be 1-16 lower-case letters, digits or -",
    ],
  ])('refuses %j', (stage, message) => {
    expect(() => resourceNames(stage)).toThrow(message);
  });

  it('takes the queue domain from a capability id', () => {
    expect(capabilityDomain('import#enrichment')).toBe('import');
    expect(() => capabilityDomain('Bad#x')).toThrow("capability domain 'Bad'");
  });

  it('keeps every name within the limits of SQS (80), S3 (63) and Lambda (64)', () => {
    const names = resourceNames({ env: 'a'.repeat(8), owner: 'b'.repeat(16) });
    expect(names.capabilityRequestQueue('c'.repeat(24)).length).toBeLessThanOrEqual(80);
    expect(() => names.capabilityRequestQueue('c'.repeat(25))).toThrow('not a valid queue-name part');
    expect(names.definitionsBucket.length).toBeLessThanOrEqual(63);
    expect(names.orchestratorFunction.length).toBeLessThanOrEqual(64);
  });
});
