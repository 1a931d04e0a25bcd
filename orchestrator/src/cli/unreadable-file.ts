/**
 * A file named on the command line that cannot be read, said in words (`dir is a directory`, `no such file
 * x.json`) instead of node's `EISDIR: illegal operation on a directory, read`. `code` is node's (EISDIR,
 * ENOENT, ...), `path` the path as the user wrote it.
 */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError';

  constructor(
    readonly path: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(unreadableMessage(path, code), options);
  }
}

/** Node's file error codes a user can act on; other errors pass through as they are. */
const MESSAGES: Readonly<Record<string, (path: string) => string>> = {
  EISDIR: (path) => `${path} is a directory`,
  ENOENT: (path) => `no such file ${path}`,
  ENOTDIR: (path) => `no such file ${path}`,
  EACCES: (path) => `${path} cannot be read (permission denied)`,
  EPERM: (path) => `${path} cannot be read (permission denied)`,
};

function unreadableMessage(path: string, code: string): string {
  return (MESSAGES[code] ?? ((p: string) => `${p} cannot be read (${code})`))(path);
}

/** The error as an UnreadableFileError when it is one of the file errors above, else unchanged. */
export function asUnreadableFile(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && Object.hasOwn(MESSAGES, code)
    ? new UnreadableFileError(path, code, { cause: error })
    : error;
}
