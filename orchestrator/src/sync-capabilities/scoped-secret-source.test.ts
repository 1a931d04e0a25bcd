import { resourceNames } from '../naming/resource-names';
import { ScopedSecretSource } from './scoped-secret-source';
import { InMemorySecretSource } from './in-memory-secret-source';

const names = resourceNames({ env: 'prod', owner: 'ops' });
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:';

describe('ScopedSecretSource', () => {
  const inner = new InMemorySecretSource({
    'cch-prod/rates': 'r',
    [`${ARN}cch-prod/rates-AbCdEf`]: 'r by arn',
    [names.replyKeysSecret]: 'the reply keys',
    'shared/other-team': 'o',
    'cch-dev/rates': 'dev',
  });
  const scoped = new ScopedSecretSource(inner, {
    prefixes: [names.workflowSecretsPrefix],
    ids: ['shared/other-team'],
  });

  it("reads names under the env's prefix, by name or ARN, and the listed ids", async () => {
    expect(names.workflowSecretsPrefix).toBe('cch-prod/');
    await expect(scoped.read('cch-prod/rates')).resolves.toBe('r');
    await expect(scoped.read(`${ARN}cch-prod/rates-AbCdEf`)).resolves.toBe('r by arn');
    await expect(scoped.read('shared/other-team')).resolves.toBe('o');
  });

  it.each([names.replyKeysSecret, 'cch-dev/rates', `${ARN}${names.replyKeysSecret}-AbCdEf`])(
    'refuses %s without reading it (the reply keys, another env)',
    async (id) => {
      const before = inner.reads.length;
      await expect(scoped.read(id)).rejects.toMatchObject({ code: 'SECRET_ACCESS_DENIED', retryable: false });
      expect(inner.reads.length).toBe(before);
    },
  );
});
