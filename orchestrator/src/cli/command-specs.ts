/**
 * What the `wf` command line declares about each command to its parser (commander, see command-line.ts):
 * a one-line summary, the arguments and options it takes, and examples for `--help`. The command itself
 * still parses its arguments (with node:util parseArgs) and does the work; the parser only checks them
 * first, so a mistake gets a clear message (`unknown option '--jsn' (Did you mean --json?)`) and a pointer
 * to `--help`, and every command has help with examples.
 *
 * Invariant: each `--flag` a command's usage line shows is declared here, and nothing else (see
 * command-line.test.ts), so the declarations cannot drift from what the command accepts. A command with no
 * spec here is passed its arguments unchecked and prints its own help.
 */
export interface OptionSpec {
  /** commander syntax: `--json`, `--status <S>`, `-h, --help`. */
  readonly flags: string;
  readonly description: string;
}

export interface CommandSpec {
  readonly summary: string;
  /** commander syntax, in order: `<instance_id>`, `<files...>`, `[action]`. */
  readonly arguments: readonly string[];
  readonly options: readonly OptionSpec[];
  /** Shown under `examples:` by `--help`; each a whole command line. */
  readonly examples: readonly string[];
  /**
   * The command prints fuller help of its own on `--help`: it gets `--help` passed through, and the
   * parser shows only the summary and options in `wf --help`.
   */
  readonly ownHelp?: boolean;
  /** Only these values for the first argument (e.g. `wf dlq list|redrive`). */
  readonly choices?: readonly string[];
}

const LOCAL: OptionSpec = {
  flags: '--local',
  description:
    'the embedded stack of `pnpm local`, on the ports its CCH_LOCAL_*_PORT line printed (default: the deployment named by CCH_ENV/CCH_OWNER, or the embedded stack when they are unset)',
};

export const COMMAND_SPECS: Readonly<Record<string, CommandSpec>> = {
  validate: {
    summary:
      'Checks workflow definitions: every problem at once, as file:line:col, the node path and a sentence; exit 1 on any error.',
    arguments: ['<files...>'],
    options: [{ flags: '--json', description: 'one JSON object: { valid, errors, warnings, files: [...] }' }],
    examples: ['wf validate workflow-definitions/*.yaml', 'wf validate my-workflow.yaml --json'],
  },
  graph: {
    summary: 'Prints the graph of a valid definition as a Mermaid flowchart (its errors when it is invalid).',
    arguments: ['<file>'],
    options: [],
    examples: [
      'wf graph workflow-definitions/fanout_a_b_c_v1.yaml',
      'wf graph workflow-definitions/fanout_a_b_c_v1.yaml > fanout.mmd',
    ],
  },
  asl: {
    summary:
      'Compiles a definition to Amazon States Language for Step Functions mode; what ASL cannot express is an error naming the node.',
    arguments: ['<file.yaml>'],
    options: [
      { flags: '--out <file.json>', description: 'write the state machine there (default: stdout)' },
      {
        flags: '--definitions <dir>',
        description:
          "where the children of its sub_workflow and map nodes are found by workflow id, subfolders too (default: the file's folder)",
      },
    ],
    examples: [
      'wf asl workflow-definitions/fanout_a_b_c_v1.yaml',
      'wf asl workflow-definitions/export_screening_v1.yaml --out export_screening_v1.asl.json',
      'wf asl workflow-definitions/language-v2/order_fulfilment_v2.yaml --definitions workflow-definitions',
    ],
  },
  run: {
    summary:
      'Runs one instance with scripted capability replies, printing each step; exit 0 when it SUCCEEDED. By default on a private embedded stack; --memory on in-memory ports with a simulated clock.',
    arguments: ['<file.yaml>'],
    options: [
      {
        flags: '--context <JSON|@file>',
        description: 'the START context (default: a placeholder for each initial_context key)',
      },
      {
        flags: '--mocks <file.yaml>',
        description: 'scripted replies per capability id (default: SUCCESS at once, every expected key)',
      },
      { flags: '--json', description: 'print only the final status record, as JSON' },
      {
        flags: '--memory',
        description: 'in-memory ports and a simulated clock: a 2-hour wait takes no time',
      },
    ],
    examples: [
      'wf run workflow-definitions/fanout_a_b_c_v1.yaml',
      `wf run workflow-definitions/import_vn_memphis_v1.yaml --context '{"shipmentId":"SHP-1","originCountry":"VN","destinationCountry":"US"}'`,
      'wf run workflow-definitions/export_screening_v1.yaml --memory --mocks sample-data/mocks/export-screening-review.yaml --json',
    ],
  },
  status: {
    summary: "Prints an instance's status record: status, waits, history, definition, error.",
    arguments: ['<instance_id>'],
    options: [{ flags: '--json', description: 'the status record as one JSON object' }, LOCAL],
    examples: ['wf status by-hand-1 --local', 'CCH_ENV=dev CCH_OWNER=alice wf status shipment-SHP-1 --json'],
  },
  start: {
    summary:
      'Starts an instance: uploads the definition when given a file, sends START_WORKFLOW, prints the instance id; --wait follows it to its end.',
    arguments: ['<file.yaml|workflow_id>'],
    options: [
      { flags: '--context <JSON|@file>', description: 'the START context' },
      { flags: '--instance-id <ID>', description: 'the instance id (default: a new one)' },
      { flags: '--wait', description: 'follow the instance until it ends; exit 0 when it SUCCEEDED' },
      { flags: '--timeout <SECONDS>', description: 'how long --wait follows it' },
      { flags: '--json', description: 'as JSON' },
      LOCAL,
    ],
    examples: ['wf start fanout_a_b_c_v1 --context @shipment.json --local'],
    ownHelp: true,
  },
  cancel: {
    summary:
      'Cancels a running or waiting instance; each capability it awaits gets an ASYNC_CANCELLED notice.',
    arguments: ['<instance_id>'],
    options: [
      { flags: '--reason <TEXT>', description: 'why, recorded and sent to the capabilities' },
      { flags: '--wait', description: 'wait until the instance is CANCELLED' },
      { flags: '--timeout <SECONDS>', description: 'how long --wait waits' },
      LOCAL,
    ],
    examples: ["wf cancel shipment-SHP-7 --reason 'withdrawn' --wait"],
    ownHelp: true,
  },
  redrive: {
    summary:
      'Re-runs a FAILED instance from the step that failed, under the same id; completed steps are not run again.',
    arguments: ['<instance_id>'],
    options: [
      { flags: '--reason <TEXT>', description: 'why, recorded in the history' },
      { flags: '--by <NAME>', description: 'who, recorded in the history' },
      { flags: '--wait', description: 'follow the instance until it ends again' },
      { flags: '--timeout <SECONDS>', description: 'how long --wait follows it' },
      { flags: '--json', description: 'as JSON' },
      LOCAL,
    ],
    examples: ["wf redrive shipment-SHP-7 --reason 'customs endpoint fixed' --wait"],
    ownHelp: true,
  },
  list: {
    summary:
      'Lists instances by status, workflow, start time or status change time, a page at a time, or the stuck ones.',
    arguments: [],
    options: [
      { flags: '--status <S[,S]>', description: 'RUNNING, WAITING, SUCCEEDED, FAILED, CANCELLED' },
      { flags: '--workflow <W>', description: 'instances of one workflow_id' },
      { flags: '--since <2h|ISO-time>', description: 'started within a duration or at/after a time' },
      {
        flags: '--changed-since <2h|ISO-time>',
        description: 'took their current status since then: ended, or started or redriven if live',
      },
      { flags: '--stuck', description: 'only instances that cannot move on their own' },
      { flags: '--stuck-after <15m>', description: 'RUNNING with no activity for this long counts as stuck' },
      { flags: '--limit <N>', description: 'rows per page' },
      { flags: '--next <TOKEN>', description: 'the next page, with the same filters' },
      { flags: '--json', description: '{ "instances": [...], "next": TOKEN | null }' },
      LOCAL,
    ],
    examples: ['wf list --status FAILED --since 24h', 'wf list --changed-since 2h', 'wf list --stuck --json'],
    ownHelp: true,
  },
  describe: {
    summary:
      'Shows one instance in full: waits with time left, last error, history as a timeline, the graph coloured by what happened.',
    arguments: ['<instance_id>'],
    options: [{ flags: '--json', description: 'one JSON object; its "graph" is the Mermaid text' }, LOCAL],
    examples: ['wf describe by-hand-1 --local'],
    ownHelp: true,
  },
  dlq: {
    summary: 'Lists dead-lettered messages with their reasons, or moves chosen ones back to their queue.',
    arguments: ['<action>'],
    choices: ['list', 'redrive'],
    options: [
      { flags: '--queue <command|reply|domain>', description: 'one queue (default: every DLQ)' },
      { flags: '--message-id <ID>', description: 'redrive this message (repeatable)' },
      { flags: '--all', description: 'redrive every message of the queue' },
      { flags: '--limit <N>', description: 'list at most this many' },
      { flags: '--json', description: 'as JSON' },
      LOCAL,
    ],
    examples: ['wf dlq list --local', 'wf dlq redrive --queue command --message-id 3f1c...'],
    ownHelp: true,
  },
};
