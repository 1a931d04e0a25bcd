import type { ModuleReplacement } from './module-replacement-plugin';

/*
 * Modules of dependencies that the Lambda bundles replace with smaller ones, each because the part left out
 * is never used by a Lambda of the stack, and each so that using it anyway fails loudly instead of doing
 * something different. infra/test/orchestrator-bundle.test.ts checks that they apply.
 */

/**
 * zod 4's locales: `z.locales` (and `z.core.locales`) re-export the error messages of some 50 languages,
 * about 250 KB minified, which any bundle that evaluates the `z` namespace object keeps. zod registers
 * English itself (classic/schemas.js imports `../locales/en.js`) and the engine never calls `z.config()`
 * with another locale, so `locales` keeps `en` only; `z.locales.fr` is undefined, so calling it throws.
 */
export const ZOD_LOCALES_EN_ONLY: ModuleReplacement = {
  name: 'zod-locales-en-only',
  specifier: '../locales/index.js',
  importer: /\/node_modules\/zod\/v4\/(?:classic|core|mini)\/[^/]+\.js$/,
  contents: 'export { default as en } from "./en.js";\n',
};

/**
 * @langchain/core's `load()` finds the classes it revives through an import map of every module of core
 * (prompts, chat models, tools, retrievers, ...: about 200 KB minified). LangGraph's checkpoint serializer
 * calls `load()` for a value serialized as a LangChain object (`lc: 1, type: constructor`); the only such
 * values a LangGraph state holds are messages, so the map keeps the two message entries, with the same
 * keys and modules as core's. Any other class fails to load with core's own "Invalid namespace" error.
 */
export const LANGCHAIN_IMPORT_MAP_MESSAGES_ONLY: ModuleReplacement = {
  name: 'langchain-import-map-messages-only',
  specifier: './import_map.js',
  importer: /\/node_modules\/@langchain\/core\/dist\/load\/index\.js$/,
  contents: [
    'import { messages_exports } from "../messages/index.js";',
    'import { tool_exports } from "../messages/tool.js";',
    'export const import_map_exports = { messages: messages_exports, messages__tool: tool_exports };',
    '',
  ].join('\n'),
};

/**
 * @langchain/core's AI messages find a translator of each chat model provider's content blocks (Anthropic,
 * Bedrock, Google, Groq, Ollama, OpenAI, ...: about 25 KB minified) in a registry keyed by the provider.
 * No workflow state holds a chat message, so the registry is empty: `getTranslator` finds none for any
 * provider, which is core's own answer for a provider it does not know.
 */
export const LANGCHAIN_NO_BLOCK_TRANSLATORS: ModuleReplacement = {
  name: 'langchain-no-block-translators',
  specifier: './block_translators/index.js',
  importer: /\/node_modules\/@langchain\/core\/dist\/messages\/ai\.js$/,
  contents: 'export function getTranslator() {\n  return undefined;\n}\n',
};

/**
 * @langchain/core's `streamLog()` and `streamEvents()` (a runnable's run log as JSON patches, its events
 * as a stream) bring their tracers along: about 12 KB minified. The engine streams a graph's updates only
 * (`stream` with streamMode `updates`), so no such tracer is ever among a run's handlers: the checks for
 * one answer no, and starting either stream throws saying why.
 */
const NOT_BUNDLED = (what: string) =>
  `throw new Error("${what} is not in the Lambda bundles (infra/src/bundling/lambda-module-replacements.ts)")`;
export const LANGCHAIN_NO_LOG_AND_EVENT_STREAMS: readonly ModuleReplacement[] = [
  {
    name: 'langchain-no-log-stream',
    specifier: '../tracers/log_stream.js',
    importer: /\/node_modules\/@langchain\/core\/dist\/runnables\/base\.js$/,
    contents: [
      'export const isLogStreamHandler = () => false;',
      `export class LogStreamCallbackHandler { constructor() { ${NOT_BUNDLED('streamLog()')}; } }`,
      `export class RunLogPatch { constructor() { ${NOT_BUNDLED('streamLog()')}; } }`,
      `export class RunLog { static fromRunLogPatch() { ${NOT_BUNDLED('streamLog()')}; } }`,
      '',
    ].join('\n'),
  },
  {
    name: 'langchain-no-event-stream',
    specifier: '../tracers/event_stream.js',
    importer: /\/node_modules\/@langchain\/core\/dist\/runnables\/base\.js$/,
    contents: [
      'export const isStreamEventsHandler = () => false;',
      `export class EventStreamCallbackHandler { constructor() { ${NOT_BUNDLED('streamEvents()')}; } }`,
      '',
    ].join('\n'),
  },
];

/**
 * @langchain/core's JSON Schema conversion (its own zod-to-json-schema port and a JSON Schema validator:
 * about 20 KB minified) serves two callers in the bundles: LangGraph's `interrupt()` given a response schema,
 * and a drawn graph's schema nodes (`getGraph()`). The engine interrupts without a schema and draws its graphs
 * itself (the CLI's Mermaid, not in a Lambda), so `toJsonSchema` throws saying why.
 */
const JSON_SCHEMA_STUB = `export function toJsonSchema() {\n  ${NOT_BUNDLED('JSON Schema conversion')};\n}\n`;
export const LANGCHAIN_NO_JSON_SCHEMA: readonly ModuleReplacement[] = [
  {
    name: 'langgraph-interrupt-no-json-schema',
    specifier: '@langchain/core/utils/json_schema',
    importer: /\/node_modules\/@langchain\/langgraph\/dist\/interrupt\.js$/,
    contents: JSON_SCHEMA_STUB,
  },
  {
    name: 'langchain-graph-no-json-schema',
    specifier: '../utils/json_schema.js',
    importer: /\/node_modules\/@langchain\/core\/dist\/runnables\/graph\.js$/,
    contents: JSON_SCHEMA_STUB,
  },
];

/**
 * The AWS SDK's default credential chain (environment, SSO, ini files, credential process, web identity,
 * container and instance metadata) brings the STS, SSO, SSO-OIDC and sign-in clients along: about 100 KB
 * minified. A Lambda function's credentials are always in its environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which is the chain's first link, so the bundles keep that
 * link only; without those variables the error says so.
 */
export const ENVIRONMENT_CREDENTIALS_ONLY: ModuleReplacement = {
  name: 'environment-credentials-only',
  specifier: '@aws-sdk/credential-provider-node',
  importer: /^/,
  contents: [
    'import { fromEnv } from "@aws-sdk/credential-provider-env";',
    'export const defaultProvider = (init = {}) => {',
    '  const provider = fromEnv(init);',
    '  return async () => {',
    '    try {',
    '      return await provider();',
    '    } catch (error) {',
    '      throw new Error(',
    '        "No AWS credentials in the environment: the Lambda bundles read AWS_ACCESS_KEY_ID, " +',
    '          "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN only (infra/src/bundling/lambda-module-replacements.ts)",',
    '        { cause: error },',
    '      );',
    '    }',
    '  };',
    '};',
    'export const credentialsWillNeedRefresh = (credentials) => credentials?.expiration !== undefined;',
    'export const credentialsTreatedAsExpired = (credentials) =>',
    '  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300000;',
    '',
  ].join('\n'),
};

/**
 * pino's transports (`pino.transport()`, the `transport` option) run a logger in a worker thread, which
 * brings thread-stream, real-require and their helpers along: about 12 KB minified. The Lambdas log to
 * stdout (or the stream they are given, see orchestrator/src/aws/pino-logger.ts) and never start a
 * transport, so `pino.transport` throws saying so. (CommonJS, as pino requires it.)
 */
const PINO_TRANSPORT_STUB = [
  'module.exports = function transport() {',
  '  throw new Error(',
  '    "pino transports are not in the Lambda bundles: log to stdout (infra/src/bundling/lambda-module-replacements.ts)",',
  '  );',
  '};',
  '',
].join('\n');
export const PINO_NO_TRANSPORTS: readonly ModuleReplacement[] = [
  // pino.transport, and the `transport` option (lib/tools.js): both require lib/transport.js.
  {
    name: 'pino-no-transports',
    specifier: './lib/transport',
    importer: /\/node_modules\/pino\/pino\.js$/,
    contents: PINO_TRANSPORT_STUB,
  },
  {
    name: 'pino-no-transport-option',
    specifier: './transport',
    importer: /\/node_modules\/pino\/lib\/tools\.js$/,
    contents: PINO_TRANSPORT_STUB,
  },
];

export const LAMBDA_MODULE_REPLACEMENTS: readonly ModuleReplacement[] = [
  ZOD_LOCALES_EN_ONLY,
  LANGCHAIN_IMPORT_MAP_MESSAGES_ONLY,
  LANGCHAIN_NO_BLOCK_TRANSLATORS,
  ...LANGCHAIN_NO_LOG_AND_EVENT_STREAMS,
  ...LANGCHAIN_NO_JSON_SCHEMA,
  ENVIRONMENT_CREDENTIALS_ONLY,
  ...PINO_NO_TRANSPORTS,
];
