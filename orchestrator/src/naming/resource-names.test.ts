import { capabilityDomain, dnsOwner, resourceNames } from './resource-names';

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
    [{ env: 'dev', owner: '_nike' }, "owner '_nike' must be 1-16 lower-case letters, digits, - or _"],
    [{ env: 'dev', owner: 'Dvan97_nike' }, "owner 'Dvan97_nike'"],
    [{ env: 'de_v', owner: 'alice' }, "env 'de_v' must be 1-8 lower-case letters, digits or -"],
  ])('refuses %j', (stage, message) => {
    expect(() => resourceNames(stage)).toThrow(message);
  });

  describe('an owner with _ (the seed names its queue cch-dev-dvan97_nike-capability-import-request-queue)', () => {
    const names = resourceNames({ env: 'dev', owner: 'dvan97_nike' });

    it('keeps the _ where AWS allows it: queues, table, functions, log groups, alarms, dashboard', () => {
      expect(names.capabilityRequestQueue('import')).toBe(
        'cch-dev-dvan97_nike-capability-import-request-queue',
      );
      expect(names.commandQueue).toBe('cch-dev-dvan97_nike-orchestrator-command-queue');
      expect(names.replyDlq).toBe('cch-dev-dvan97_nike-orchestrator-reply-dlq');
      expect(names.stateTable).toBe('cch-dev-dvan97_nike-workflow-state-table');
      expect(names.orchestratorFunction).toBe('cch-dev-dvan97_nike-workflow-orchestrator-function');
      expect(names.orchestratorLogGroup).toBe(
        '/aws/lambda/cch-dev-dvan97_nike-workflow-orchestrator-function',
      );
      expect(names.timerScheduleGroup).toBe('cch-dev-dvan97_nike-timer-schedules');
      expect(names.dashboard).toBe('cch-dev-dvan97_nike-workflow-dashboard');
      expect(names.prefix).toBe('cch-dev-dvan97_nike-');
      expect(names.metricDimensions).toEqual({ env: 'dev', owner: 'dvan97_nike' });
    });

    it('maps it in S3 bucket and CloudFormation stack names, which allow no _', () => {
      const owner = dnsOwner('dvan97_nike');
      expect(owner).toMatch(/^dvan97-nike-[0-9a-f]{5}$/);
      expect(names.definitionsBucket).toBe(`cch-dev-${owner}-workflow-definitions-bucket`);
      expect(names.eventDataBucket).toBe(`cch-dev-${owner}-eventdata-bucket`);
      expect(names.accessLogsBucket).toBe(`cch-dev-${owner}-access-logs-bucket`);
      expect(names.stackName).toBe(`cch-dev-${owner}-workflow-engine`);
      // S3: 3-63 characters, lower-case letters, digits, '.' and '-', starting and ending with a letter or digit.
      for (const bucket of [names.definitionsBucket, names.eventDataBucket, names.accessLogsBucket])
        expect(bucket).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
      // CloudFormation: a letter, then letters, digits and '-', at most 128.
      expect(names.stackName).toMatch(/^[A-Za-z][A-Za-z0-9-]{0,127}$/);
    });

    it('leaves an owner without _ as it is', () => {
      expect(dnsOwner('alice')).toBe('alice');
      expect(resourceNames({ env: 'dev', owner: 'alice' }).stackName).toBe('cch-dev-alice-workflow-engine');
    });

    it('never maps two owners to one bucket name, nor onto an owner as written', () => {
      const owners = ['a_b', 'a-b', 'a__b', 'a_-b', 'a-_b', 'a--b', 'dvan97_nike', 'dvan97-nike', 'x_'];
      const mapped = owners.map(dnsOwner);
      expect(new Set(mapped).size).toBe(owners.length);
      for (const owner of owners.filter((o) => o.includes('_'))) {
        // Longer than any owner may be, so no deployment's own owner can equal it.
        expect(dnsOwner(owner).length).toBeGreaterThan(16);
        expect(dnsOwner(owner)).toBe(dnsOwner(owner));
      }
      // The longest mapped owner still fits S3's 63 characters with the longest env and bucket suffix.
      const longest = resourceNames({ env: 'e'.repeat(8), owner: 'o_'.repeat(8) });
      expect(longest.definitionsBucket.length).toBeLessThanOrEqual(63);
      expect(longest.capabilityRequestQueue('c'.repeat(24)).length).toBeLessThanOrEqual(80);
      expect(longest.orchestratorFunction.length).toBeLessThanOrEqual(64);
    });
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
