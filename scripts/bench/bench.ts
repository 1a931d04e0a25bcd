import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { LocalServers } from '../local-aws/local-servers';
import { REPO_ROOT } from '../local-aws/provision-local';
import { bundleSection, measureBundle } from './cost/orchestrator-bundle';
import { contextSizeSection, measureContextSizes } from './cost/context-size';
import {
  costSection,
  costWorkflows,
  measureCostPerRun,
  orchestratorMemoryMb,
  warmUp,
} from './cost/cost-per-million-runs';
import { cpuSection, measureFullOrchestratorCpu, measurePureCpu, type CpuResult } from './cost/cpu-per-step';
import {
  fanOutWidthSection,
  measureFanOutExample,
  measureFanOutWidth,
  type FanOutWidthResult,
} from './cost/fan-out-width';
import { historyGrowthSection, measureHistoryGrowth } from './cost/history-growth';
import { mapItemsSection, measureMapItems } from './cost/map-items';
import { BASELINE_LABEL } from './cost/issue-10-baseline';
import { MeteredEngine } from './cost/metered-engine';
import { CountingMemorySaver, rawFanOut, runRawFanOut } from './cost/raw-langgraph';
import { renderSection, type Section } from './cost/report-table';
import { startServerProcess } from './cost/server-process';
import { measureThroughput, throughputSection } from './cost/throughput';
import { measureTimerCost, timerCostSection } from './cost/timer-cost';

/*
 * `pnpm bench`: every figure of issue 10 (flat cost per step; cheaper than Step Functions), measured on the
 * engine as it is in this working tree, through its public entry points, each printed as a table beside
 * the 2026-11 figure, with the raw-LangGraph and Step Functions baselines computed in the same run.
 * Results also go to .bench/bench-<date>.json. Every part is bounded in time; a part cut short says so.
 *
 *   pnpm bench [--only 1,2,5]
 */

const FIGURES = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
/** Past this, the parts not yet run are skipped (the whole must stay under 10 minutes on 2 cores). */
const DEADLINE_MS = 8.5 * 60 * 1000;
const BUDGET_MS = {
  history: (series: string) => (series === 'loop' ? 60_000 : 90_000),
  fanOutWidth: (width: number) => (width >= 100 ? 90_000 : 60_000),
  pureCpu: 24_000,
  fullCpuInstances: 20,
  throughput: 90_000,
  largeMap: 600_000,
};

interface Part {
  readonly figure: number;
  readonly name: string;
  readonly run: () => Promise<{ section: Section; data: unknown }>;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write('usage: pnpm bench [--only 1,2,...]  (figures 1-8 of issue 10, 9 of issue 14)\n');
    return 0;
  }
  const only = new Set(
    (values.only ?? FIGURES.join(','))
      .split(',')
      .map((s) => Number(s.trim()))
      .filter((n) => FIGURES.includes(n as (typeof FIGURES)[number])),
  );
  const began = performance.now();
  const warnings = collectWarnings();
  const date = new Date();
  const machine = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    node: process.version,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `pnpm bench (issue 10), ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine.cpu}, ` +
      `${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}; ` +
      `baselines: "${BASELINE_LABEL}"`,
  );

  let servers: LocalServers | undefined;
  let engine: MeteredEngine | undefined;
  const lambdaMemoryMb = orchestratorMemoryMb();
  const stack = async () => (servers ??= await startServerProcess());
  const metered = async () => (engine ??= await MeteredEngine.start({ servers: await stack() }));
  const fanOut: { result?: FanOutWidthResult } = {};
  const cpu: { result?: CpuResult } = {};

  const parts: Part[] = [
    {
      figure: 1,
      name: 'history length',
      run: async () => {
        const result = await measureHistoryGrowth(await metered(), BUDGET_MS.history);
        return { section: historyGrowthSection(result), data: result };
      },
    },
    {
      figure: 2,
      name: 'fan-out width',
      run: async () => {
        const e = await metered();
        const example = await measureFanOutExample(e);
        const saver = new CountingMemorySaver();
        await runRawFanOut(rawFanOut(saver), 'raw-getTuple-count');
        const widths = await measureFanOutWidth(e, BUDGET_MS.fanOutWidth);
        fanOut.result = { widths, example, rawGetTuple: saver.getTupleCalls };
        return { section: fanOutWidthSection(fanOut.result), data: fanOut.result };
      },
    },
    {
      figure: 3,
      name: 'context size',
      run: async () => {
        const result = await measureContextSizes(await metered());
        return { section: contextSizeSection(result), data: result };
      },
    },
    {
      figure: 4,
      name: 'timers',
      run: async () => {
        const result = await measureTimerCost(await stack(), lambdaMemoryMb);
        return { section: timerCostSection(result), data: result };
      },
    },
    {
      figure: 5,
      name: 'CPU per step (pure runtime vs raw LangGraph)',
      run: async () => {
        const pairs = await measurePureCpu(BUDGET_MS.pureCpu);
        cpu.result = { pairs };
        let fullError: string | undefined;
        try {
          const fullEngine = await MeteredEngine.start({ servers: await stack(), meter: false });
          try {
            cpu.result = {
              pairs,
              full: await measureFullOrchestratorCpu(fullEngine, BUDGET_MS.fullCpuInstances),
            };
          } finally {
            await fullEngine.stop();
          }
        } catch (error) {
          fullError = describe(error);
          cpu.result = { pairs, fullError };
        }
        return { section: cpuSection(cpu.result), data: { ...cpu.result, fullError } };
      },
    },
    {
      figure: 6,
      name: 'cost per 1M runs',
      run: async () => {
        // Timers as deployed on AWS: EventBridge Scheduler for waits over 15 minutes.
        const e = await MeteredEngine.start({ servers: await stack(), timers: 'eventbridge' });
        const workflows = costWorkflows();
        await warmUp(e, workflows);
        try {
          const result = await measureCostPerRun(e, workflows, lambdaMemoryMb);
          return { section: costSection(result), data: result };
        } finally {
          await e.stop();
        }
      },
    },
    {
      figure: 7,
      name: 'bundle and cold start',
      run: async () => {
        const result = await measureBundle(await stack());
        return { section: bundleSection(result), data: result };
      },
    },
    {
      figure: 8,
      name: 'throughput',
      run: async () => {
        // Servers of its own: the other parts leave messages in the shared queues (capability requests the
        // bench answered itself, delayed timers) that pollers would pick up.
        const own = await startServerProcess();
        try {
          const result = await measureThroughput(own, BUDGET_MS.throughput);
          return { section: throughputSection(result), data: result };
        } finally {
          await own.stop();
        }
      },
    },
    {
      figure: 9,
      name: 'map items',
      run: async () => {
        // The 10,000-item map takes minutes on 2 cores: only when figure 9 is asked for by name.
        const result = await measureMapItems(await metered(), values.only ? BUDGET_MS.largeMap : 0);
        return { section: mapItemsSection(result), data: result };
      },
    },
  ];

  const results: Record<string, unknown> = {};
  const sections: Section[] = [];
  try {
    for (const part of parts.filter((p) => only.has(p.figure))) {
      const partBegan = performance.now();
      let section: Section;
      if (performance.now() - began > DEADLINE_MS) {
        section = skipped(
          part,
          `not run: the bench's ${DEADLINE_MS / 60000}-minute budget was spent before it`,
        );
      } else {
        try {
          const { section: s, data } = await part.run();
          section = s;
          results[`figure${part.figure}`] = data;
        } catch (error) {
          section = skipped(part, `could not be measured: ${describe(error)}`);
          results[`figure${part.figure}`] = { error: describe(error) };
        }
      }
      const seconds = (performance.now() - partBegan) / 1000;
      sections.push(section);
      say('');
      say(renderSection({ ...section, notes: [...(section.notes ?? []), `(${seconds.toFixed(1)} s)`] }));
    }
  } finally {
    await engine?.stop();
    await servers?.stop();
  }
  const seconds = (performance.now() - began) / 1000;
  say('');
  say(
    `Done in ${seconds.toFixed(0)} s; load average now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}.`,
  );
  for (const [warning, count] of warnings) say(`Process warning x${count}: ${warning}`);
  const file = join(REPO_ROOT, '.bench', `bench-${date.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(REPO_ROOT, '.bench'), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: date.toISOString(),
        machine,
        seconds,
        baselineLabel: BASELINE_LABEL,
        warnings: Object.fromEntries(warnings),
        sections,
        results,
      },
      null,
      2,
    ),
  );
  say(`Results: ${file}`);
  return 0;
}

/**
 * Node process warnings, counted instead of printed each time (the engine's SDK clients can raise the same
 * one hundreds of times); the first of each kind is printed as it happens, all are summed up at the end.
 */
function collectWarnings(): Map<string, number> {
  const counts = new Map<string, number>();
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const key = `${warning.name}: ${warning.message.split('\n')[0] ?? ''}`;
    const seen = counts.get(key) ?? 0;
    counts.set(key, seen + 1);
    if (seen === 0 && warning.name !== 'NodeVersionSupportWarning')
      process.stderr.write(`(warning) ${key}\n`);
  });
  return counts;
}

function skipped(part: Part, reason: string): Section {
  return { title: `${part.figure}. ${part.name}`, header: ['result'], rows: [[reason]] };
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
