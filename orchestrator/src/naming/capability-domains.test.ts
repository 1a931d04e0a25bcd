import { join } from 'node:path';
import { capabilityDomainsIn } from './capability-domains';

describe('capabilityDomainsIn', () => {
  it('lists the domains the example workflows call, plus configured extras, sorted and unique', () => {
    const dir = join(__dirname, '..', '..', '..', 'workflow-definitions');
    expect(capabilityDomainsIn(dir, ['billing', 'import'])).toEqual([
      'billing',
      'classify',
      'compliance',
      'customs',
      'declaration',
      'duty',
      'import',
      'licence',
      'prepare',
      'review',
    ]);
  });
});
