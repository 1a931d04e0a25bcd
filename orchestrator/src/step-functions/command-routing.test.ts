import { ack, type HandleOutcome } from '../runtime/handle-outcome';
import type { InboundMessage } from '../runtime/messages';
import { StepFunctionsRouting } from './command-routing';

/**
 * A mixed deployment's command queue: the orchestrator consumes it, and START of a workflow deployed as a
 * state machine (or CANCEL of an instance the engine does not have) goes on to Step Functions' command
 * queue, while every other message reaches the engine unchanged.
 */

function routing(engineInstances: readonly string[] = []) {
  const forwarded: InboundMessage[] = [];
  const engine: InboundMessage[] = [];
  const router = new StepFunctionsRouting(
    {
      handle: (message): Promise<HandleOutcome> => {
        engine.push(message);
        return Promise.resolve(ack());
      },
    },
    {
      workflowIds: new Set(['sfn_v1']),
      forward: (command) => {
        forwarded.push(command);
        return Promise.resolve();
      },
      engineHas: (id) => Promise.resolve(engineInstances.includes(id)),
    },
  );
  return { router, forwarded, engine };
}

const start = (workflowId: string) =>
  ({ type: 'START_WORKFLOW', workflow_id: workflowId, instance_id: 'i-1', context: {} }) as const;
const cancel = (id: string) => ({ type: 'CANCEL_WORKFLOW', instance_id: id }) as const;

it('forwards a START of a Step Functions workflow, unchanged, and leaves the engine out', async () => {
  const { router, forwarded, engine } = routing();
  await expect(router.handle(start('sfn_v1'))).resolves.toMatchObject({ kind: 'ack' });
  expect(forwarded).toEqual([start('sfn_v1')]);
  expect(engine).toEqual([]);
});

it('hands a START of any other workflow to the engine, unchanged', async () => {
  const { router, forwarded, engine } = routing();
  await router.handle(start('engine_v1'));
  expect(engine).toEqual([start('engine_v1')]);
  expect(forwarded).toEqual([]);
});

it("keeps a sub_workflow's or map's child on the engine, even of a Step Functions workflow", async () => {
  const { router, forwarded, engine } = routing();
  const child = {
    ...start('sfn_v1'),
    parent: { instance_id: 'p', request_id: 'p:Kid:1:tag', node: 'Kid', depth: 1 },
  };
  await router.handle(child);
  expect(engine).toEqual([child]);
  expect(forwarded).toEqual([]);
});

it('gives CANCEL to the engine when it has the instance, else to Step Functions', async () => {
  const { router, forwarded, engine } = routing(['on-engine']);
  await router.handle(cancel('on-engine'));
  await router.handle(cancel('on-sfn'));
  expect(engine).toEqual([cancel('on-engine')]);
  expect(forwarded).toEqual([cancel('on-sfn')]);
});

it("gives a parent's CANCEL of its child to the engine even before the engine has the child", async () => {
  const { router, forwarded, engine } = routing();
  const childCancel = { ...cancel('p.Kid.1'), parent: { instance_id: 'p', request_id: 'p:Kid:1:tag' } };
  await router.handle(childCancel);
  expect(engine).toEqual([childCancel]);
  expect(forwarded).toEqual([]);
});

it('passes timers and replies to the engine', async () => {
  const { router, engine, forwarded } = routing();
  const timer = { type: 'TIMER_FIRED', instance_id: 'i-1', timer_id: 't-1' } as unknown as InboundMessage;
  await router.handle(timer);
  expect(engine).toEqual([timer]);
  expect(forwarded).toEqual([]);
});

it('lets a failed forward throw, so the message comes back', async () => {
  const router = new StepFunctionsRouting(
    { handle: () => Promise.resolve(ack()) },
    {
      workflowIds: new Set(['sfn_v1']),
      forward: () => Promise.reject(new Error('SQS unavailable')),
      engineHas: () => Promise.resolve(false),
    },
  );
  await expect(router.handle(start('sfn_v1'))).rejects.toThrow('SQS unavailable');
});
