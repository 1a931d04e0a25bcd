import { CONSOLE_HELP, parseConsoleOptions } from '../src/console-options';

describe('pnpm console arguments', () => {
  it('defaults to the deployment on port 8080', () => {
    expect(parseConsoleOptions([])).toEqual({ local: false, port: 8080, help: false });
  });

  it('takes --local and --port, 0 for a free port', () => {
    expect(parseConsoleOptions(['--local', '--port', '0'])).toEqual({ local: true, port: 0, help: false });
  });

  it('takes its default port from CCH_CONSOLE_PORT, which --port overrides', () => {
    expect(parseConsoleOptions([], { CCH_CONSOLE_PORT: '9000' }).port).toBe(9000);
    expect(parseConsoleOptions(['--port', '9100'], { CCH_CONSOLE_PORT: '9000' }).port).toBe(9100);
    expect(() => parseConsoleOptions([], { CCH_CONSOLE_PORT: 'nine' })).toThrow(
      /CCH_CONSOLE_PORT=nine: a port number.*\n.*usage/,
    );
  });

  it('--help asks for the help, which names every option with examples', () => {
    expect(parseConsoleOptions(['--help']).help).toBe(true);
    for (const text of ['--local', '--port', 'examples:']) expect(CONSOLE_HELP).toContain(text);
  });

  it('refuses a port that is not one, and stray arguments, with the usage', () => {
    expect(() => parseConsoleOptions(['--port', '80a'])).toThrow(/--port 80a: a port number.*\n.*usage/);
    expect(() => parseConsoleOptions(['--port', '70000'])).toThrow(/a port number from 0 to 65535/);
    expect(() => parseConsoleOptions(['extra'])).toThrow(/unexpected argument 'extra'/);
  });
});
