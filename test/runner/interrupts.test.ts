import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InterruptHandler, SIGNAL_EXIT_CODES, type StopSignal } from '../../runner/interrupts.ts';
import { leftoverHint } from '../../runner/janitor-hint.ts';

function setUp() {
  const source = new EventEmitter();
  const lines: string[] = [];
  const exits: number[] = [];
  const clock = { now: 1_000_000 };
  const handler = new InterruptHandler({
    source: source as unknown as ConstructorParameters<typeof InterruptHandler>[0]['source'],
    runId: 'pic-202611281000-abcde',
    leftoverHint: leftoverHint({
      target: 'eks',
      runId: 'pic-202611281000-abcde',
      cluster: 'prod',
      region: 'eu-west-1',
    }),
    warn: (line) => lines.push(line),
    forceExit: (code) => exits.push(code),
    now: () => clock.now,
  });
  /** A signal a second after the previous one, as a person sends them; `afterMs` for other gaps. */
  const send = (signal: StopSignal, afterMs = 1000) => {
    clock.now += afterMs;
    source.emit(signal, signal);
  };
  return { source, handler, lines, exits, send };
}

describe('InterruptHandler', () => {
  it('aborts the run once on the first signal and remembers which signal it was', () => {
    const { handler, lines, exits, send } = setUp();
    handler.install();
    expect(handler.abortSignal.aborted).toBe(false);
    send('SIGTERM');
    expect(handler.abortSignal.aborted).toBe(true);
    expect(handler.abortSignal.reason).toBe('SIGTERM');
    expect(handler.signal).toBe('SIGTERM');
    expect(lines).toEqual([
      'pod-identity-conformance: SIGTERM received: stopping the run and deleting what it created',
    ]);
    expect(exits).toEqual([]);
  });

  it('says teardown is in progress on the second signal and forces exit on the third, with the first code', () => {
    const { handler, lines, exits, send } = setUp();
    handler.install();
    send('SIGINT');
    send('SIGTERM');
    expect(lines[1]).toBe(
      'pod-identity-conformance: teardown in progress; a third signal exits now and may leave resources of run pic-202611281000-abcde',
    );
    expect(exits).toEqual([]);
    send('SIGTERM');
    expect(lines[2]).toBe(
      'pod-identity-conformance: forced exit during teardown; resources of run pic-202611281000-abcde may be left: find and delete them with `npm run janitor -- --target eks --cluster prod --region eu-west-1 --run-id pic-202611281000-abcde --delete`',
    );
    expect(exits).toEqual([SIGNAL_EXIT_CODES.SIGINT]);
    expect(handler.signal).toBe('SIGINT');
  });

  it('does not count a duplicate delivered right after a signal (npm forwarding the Ctrl-C)', () => {
    const { handler, lines, exits, send } = setUp();
    handler.install();
    send('SIGINT');
    send('SIGINT', 5);
    send('SIGINT', 200);
    expect(lines).toHaveLength(1);
    send('SIGINT');
    send('SIGINT', 3);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/teardown in progress/);
    send('SIGINT');
    expect(exits).toEqual([SIGNAL_EXIT_CODES.SIGINT]);
  });

  it('stops listening once uninstalled', () => {
    const { source, handler, send } = setUp();
    handler.install();
    expect(source.listenerCount('SIGINT')).toBe(1);
    expect(source.listenerCount('SIGTERM')).toBe(1);
    handler.uninstall();
    expect(source.listenerCount('SIGINT')).toBe(0);
    send('SIGINT');
    expect(handler.signal).toBeUndefined();
  });

  it('maps SIGINT to 130 and SIGTERM to 143', () => {
    expect(SIGNAL_EXIT_CODES).toEqual({ SIGINT: 130, SIGTERM: 143 });
  });
});
