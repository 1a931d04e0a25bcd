import { MemorySaver } from '@langchain/langgraph';
import { WorkflowSimulation } from '../../orchestrator/src/runtime/memory/workflow-simulation';
import { startExample } from '../../orchestrator/src/runtime/testing/example-workflows';

/** Counts what the engine asks the checkpointer to write, per LangGraph durability mode. */
class CountingSaver extends MemorySaver {
  checkpoints = 0;
  writeCalls = 0;
  bytes = 0;

  override async put(...args: Parameters<MemorySaver['put']>) {
    this.checkpoints++;
    this.bytes += JSON.stringify(args[1]).length;
    return super.put(...args);
  }

  override async putWrites(...args: Parameters<MemorySaver['putWrites']>) {
    this.writeCalls++;
    this.bytes += JSON.stringify(args[1]).length;
    return super.putWrites(...args);
  }
}

async function measure(workflowId: string, durability: 'exit' | 'sync') {
  const saver = new CountingSaver();
  const sim = new WorkflowSimulation({ checkpointer: saver, durability });
  startExample(sim, workflowId);
  const messages = await sim.drain();
  const record = await sim.instances.get('inst-1');
  return { status: record?.status, messages, steps: record?.history.length ?? 0, ...saver };
}

async function main() {
  const rows: string[][] = [
    ['workflow', 'mode', 'status', 'messages', 'steps', 'checkpoints', 'putWrites', 'bytes'],
  ];
  for (const workflowId of ['import_vn_memphis_v1', 'fanout_a_b_c_v1', 'export_screening_v1']) {
    const results = { exit: await measure(workflowId, 'exit'), sync: await measure(workflowId, 'sync') };
    for (const [mode, r] of Object.entries(results)) {
      rows.push([
        workflowId,
        mode,
        String(r.status),
        String(r.messages),
        String(r.steps),
        String(r.checkpoints),
        String(r.writeCalls),
        String(r.bytes),
      ]);
    }
    const ratio = (results.sync.checkpoints / results.exit.checkpoints).toFixed(2);
    rows.push([
      workflowId,
      'sync/exit',
      '',
      '',
      '',
      ratio,
      (results.sync.writeCalls / results.exit.writeCalls).toFixed(2),
      (results.sync.bytes / results.exit.bytes).toFixed(2),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) process.stdout.write(row.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
