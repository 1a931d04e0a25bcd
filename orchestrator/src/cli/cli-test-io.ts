// Tests import the recording CliIo from here; it lives with CliIo, since the console uses it too.
export { recordingIo } from './cli-io';
