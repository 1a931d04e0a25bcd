import { MeteredEngine } from '../bench/cost/metered-engine';
import { asyncChain } from '../bench/cost/bench-workflows';
import { SHIPMENT_CONTEXT } from '../../orchestrator/src/runtime/testing/example-workflows';

async function main() {
  const engine = await MeteredEngine.start();
  const wf = asyncChain(10);
  await engine.upload(wf);
  const client = (engine as any).orchestrator.clients.dynamodb;
  const log: string[] = [];
  let on = false;
  client.middlewareStack.add(
    (next: any, ctx: any) => async (args: any) => {
      const res = await next(args);
      if (on) {
        const inp = args.input;
        const key = inp.Key ?? inp.Item;
        const pk = key ? Object.entries(key).map(([k, v]: any) => `${k}=${(v.S ?? v.N ?? '').slice(0, 50)}`).join(' ') : (inp.KeyConditionExpression ?? '') + JSON.stringify(inp.ExpressionAttributeValues ?? {}).slice(0, 100);
        const cc = res.output.ConsumedCapacity;
        const size = inp.Item ? JSON.stringify(inp.Item).length : 0;
        log.push(`${ctx.commandName} ${inp.TableName?.slice(-12)} ${pk} cu=${JSON.stringify(cc?.CapacityUnits ?? cc)} sz=${size} upd=${(inp.UpdateExpression ?? '').slice(0, 80)}`);
      }
      return res;
    },
    { step: 'initialize', name: 'probe' },
  );
  engine.send({ type: 'START_WORKFLOW', workflow_id: wf.workflowId, instance_id: 'warm', context: SHIPMENT_CONTEXT } as any);
  await engine.runUntilQuiet();
  engine.dropPending(); engine.takeRequests();
  on = true;
  engine.send({ type: 'START_WORKFLOW', workflow_id: wf.workflowId, instance_id: 'probe-1', context: SHIPMENT_CONTEXT } as any);
  // deliver start + first 6 messages
  let n = 0;
  await engine.runUntilQuiet(undefined, 6);
  console.log(log.join('\n'));
  process.exit(0);
}
main();
