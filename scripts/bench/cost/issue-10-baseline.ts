/*
 * The figures issue 10 reports as "measured today" (2026-11), copied from the issue text. The bench prints
 * each beside the figure it measures now; they are constants, never re-measured.
 */

export const BASELINE_LABEL = '2026-11 baseline (issue 10)';

export const ISSUE_10_BASELINE = {
  /** CPU per step vs raw LangGraph, in memory. */
  cpuVsRawLangGraph: { sequential10SyncCalls: 1.58, fanOut: 3.94 },
  /** CPU per step of the full orchestrator, fan-out: 36.8 ms (21x raw); SDK/HTTP about 45% of it. */
  fullOrchestratorCpuMsPerStep: 36.8,
  fullOrchestratorVsRaw: 21,
  /** DynamoDB per fan-out instance (raw LangGraph: 6 getTuple). */
  fanOutInstance: { requests: 130, wcu: 57, rcu: 105, kbRead: 240, rawLangGraphGetTuple: 6 },
  /** KB read per resume at step 1, 100 and 499 of one instance. */
  kbReadPerResume: { 1: 81, 100: 1022, 499: 3731 } as Record<number, number>,
  /** WCU / RCU per step at 10, 100 and 499 steps (the bench measures at 500). */
  perStep: {
    10: { wcu: 11, rcu: 21 },
    100: { wcu: 28, rcu: 140 },
    499: { wcu: 107, rcu: 540 },
  } as Record<number, { wcu: number; rcu: number }>,
  /** DynamoDB requests per instance at fan-out width 3, 20 and 100. */
  requestsPerFanOutInstance: { 3: 138, 20: 2923, 100: 65503 } as Record<number, number>,
  /** WCU per step with a context of 1 KB, 100 KB, 1 MB, one key changing. */
  wcuPerStepByContext: { '1 KB': 11, '100 KB': 561, '1 MB': 1035 } as Record<string, number>,
  /** Timer deliveries of a 7-day timeout whose reply came at once. */
  closedSevenDayTimerDeliveries: 672,
  /** Step Functions Standard cost / ours, per run (above 1: ours is cheaper). */
  stepFunctionsOverOurs: {
    import_vn_memphis_v1: 9.9,
    fanout_a_b_c_v1: 2.6,
    export_screening_v1: 1 / 8.8,
  } as Record<string, number>,
  bundle: { megabytes: 2.65, coldRequireMs: 132, langGraphOnlyColdRequireMs: 50 },
} as const;
