/**
 * The Amazon States Language this compiler writes: JSONPath-mode states only (see docs/step-functions.md
 * for why), typed just as far as the compiler and its tests need.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
}

export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly ResultPath: string;
  readonly Next: string;
}

interface Flow {
  readonly Next?: string;
  readonly End?: true;
}

export interface TaskState extends Flow {
  readonly Type: 'Task';
  readonly Comment?: string;
  readonly Resource: string;
  readonly Parameters: JsonValue;
  readonly TimeoutSeconds?: number;
  readonly ResultSelector?: JsonValue;
  readonly ResultPath?: string;
  readonly OutputPath?: string;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
}

export type ChoiceRule = {
  readonly Variable: string;
  readonly Next: string;
} & ({ readonly NumericEquals: number } | { readonly NumericGreaterThanEquals: number });

export interface ChoiceState {
  readonly Type: 'Choice';
  readonly Comment?: string;
  readonly Choices: readonly ChoiceRule[];
  readonly Default: string;
}

export interface ParallelState extends Flow {
  readonly Type: 'Parallel';
  readonly Comment?: string;
  readonly Branches: readonly StateMachineBody[];
  readonly ResultPath: string;
  readonly Catch?: readonly Catcher[];
}

/** An inline Map: runs `ItemProcessor` once per item of the array at `ItemsPath`, results in item order. */
export interface MapState extends Flow {
  readonly Type: 'Map';
  readonly Comment?: string;
  readonly ItemsPath: string;
  readonly ItemSelector?: JsonValue;
  readonly ItemProcessor: StateMachineBody & { readonly ProcessorConfig: { readonly Mode: 'INLINE' } };
  readonly MaxConcurrency: number;
  readonly ResultPath: string;
  readonly Catch?: readonly Catcher[];
}

export interface PassState extends Flow {
  readonly Type: 'Pass';
  readonly Comment?: string;
  readonly Result?: JsonValue;
  readonly Parameters?: JsonValue;
  readonly ResultPath: string;
  readonly OutputPath?: string;
}

/** Waits `Seconds`, or until the RFC 3339 time at `TimestampPath` (a past time: not at all). */
export type WaitState = Flow & {
  readonly Type: 'Wait';
  readonly Comment?: string;
} & ({ readonly Seconds: number } | { readonly TimestampPath: string });

export interface SucceedState {
  readonly Type: 'Succeed';
  readonly Comment?: string;
}

/** Fails with an error name written here (`Error`) or read from the input (`ErrorPath`). */
export type FailState = {
  readonly Type: 'Fail';
  readonly Comment?: string;
  readonly CausePath: string;
} & ({ readonly Error: string } | { readonly ErrorPath: string });

export type AslState =
  TaskState | ChoiceState | ParallelState | MapState | PassState | WaitState | SucceedState | FailState;

/** A state machine, or one branch of a Parallel state. */
export interface StateMachineBody {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

export interface StateMachineDefinition extends StateMachineBody {
  readonly Comment: string;
  readonly QueryLanguage: 'JSONPath';
}
