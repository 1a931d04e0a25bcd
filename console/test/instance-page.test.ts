import type { InstanceDescription } from '../../orchestrator/src/operations/describe-instance';
import { instancePage } from '../src/instance-page';

/** The instance page as HTML text, for what a reader sees in it (the browser test checks the rest). */

const START = Date.UTC(2026, 10, 27, 12);
const at = (ms: number) => new Date(START + ms).toISOString();
const step = (node: string, offset: number, duration: number) => ({
  node,
  status: 'SUCCEEDED' as const,
  started_at: at(offset),
  ended_at: at(offset + duration),
  offset_ms: offset,
  duration_ms: duration,
});

function description(overrides: Partial<InstanceDescription>): InstanceDescription {
  return {
    instance_id: 'i-1',
    workflow_id: 'w',
    status: 'FAILED',
    started_at: at(0),
    updated_at: at(740),
    definition: { key: 'w.yaml', sha256: 'abc' },
    context: {},
    output: null,
    waits: [],
    parent: null,
    children: [],
    error: null,
    last_failed_step: null,
    // In the order the steps ended: B1 started first and ended last.
    history: [step('B2', 116, 3), step('B3', 117, 4), step('B1', 87, 653)],
    nodes: {},
    graph: null,
    graph_error: null,
    ...overrides,
  };
}

const page = async (d: InstanceDescription) =>
  String(await instancePage(d, new Date(START + 5000), undefined, 1000));

describe('the instance page', () => {
  it('lays the timeline out in the order the steps started, over a span shown in ms under a second', async () => {
    const html = await page(description({}));
    const timeline = html.slice(html.indexOf('id="timeline"'));
    const order = ['B1', 'B2', 'B3'].map((node) => timeline.indexOf(`<td>${node}</td>`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(timeline).toContain('over 740 ms');
  });

  it("says an ended instance's missing output is none, a live one's none yet", async () => {
    const output = (html: string) => html.slice(html.indexOf('id="output"'), html.indexOf('id="updated-at"'));
    expect(output(await page(description({ status: 'FAILED' })))).toMatch(/>\s*none\s*</);
    expect(output(await page(description({ status: 'WAITING' })))).toMatch(/>\s*none yet\s*</);
  });
});
